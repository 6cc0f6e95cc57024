// What every page shares: its data, a random captcha id, and the 60-second countdown
// the pages show once a code is sent.
function register_data() {
  return {
    mobile: '', image_code: '', sms_code: '', image_code_id: '', image_code_url: '',
    sms_code_tip: '获取短信验证码', sending_flag: false,
    error_image_code: false, error_image_code_message: '',
    error_sms_code: false, error_sms_code_message: '',
  };
}

function generate_uuid() {
  var b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
  return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
}

function start_countdown(vm) {
  var num = 60;
  var t = setInterval(function () {
    if (num == 1) {
      clearInterval(t);
      vm.sms_code_tip = '获取短信验证码';
      vm.sending_flag = false;
    } else {
      num -= 1;
      vm.sms_code_tip = num + '秒';
    }
  }, 1000);
}
