// A page written against ginsms itself: imgcode and uuid in the query; code 200 is a
// send; a refusal comes with its HTTP status and the text in errormsg.
var vm = new Vue({
  el: '#app',
  delimiters: ['[[', ']]'],
  data: register_data(),
  mounted: function () { this.generate_image_code(); },
  methods: {
    generate_image_code: function () {
      this.image_code_id = generate_uuid();
      this.image_code_url = '/image_codes/' + this.image_code_id + '/';
    },
    send_sms_code: function () {
      if (this.sending_flag == true) {
        return;
      }
      this.sending_flag = true;
      this.error_image_code = false;
      this.error_sms_code = false;
      var url = '/sms_codes/' + this.mobile + '/?imgcode=' + this.image_code + '&uuid=' + this.image_code_id;
      axios.get(url, { responseType: 'json' })
        .then(response => {
          if (response.data.code == 200) {
            start_countdown(this);
          }
        })
        .catch(error => {
          var body = error.response ? error.response.data : {};
          if (body.code == 4002 || body.code == 4003) {
            this.error_image_code_message = body.errormsg;
            this.error_image_code = true;
          } else {
            this.error_sms_code_message = body.errormsg;
            this.error_sms_code = true;
          }
          this.generate_image_code();
          this.sending_flag = false;
        });
    },
  },
});
