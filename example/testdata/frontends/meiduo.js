// The meiduo shops' page: image_code and uuid in the query; every answer HTTP 200 with a
// string RETCODE in code and the text in errmsg.
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
      var url = '/sms_codes/' + this.mobile + '/?image_code=' + this.image_code + '&uuid=' + this.image_code_id;
      axios.get(url, { responseType: 'json' })
        .then(response => {
          if (response.data.code == '0') {
            start_countdown(this);
          } else {
            if (response.data.code == '4001') {
              this.error_image_code_message = response.data.errmsg;
              this.error_image_code = true;
            } else {
              this.error_sms_code_message = response.data.errmsg;
              this.error_sms_code = true;
            }
            this.generate_image_code();
            this.sending_flag = false;
          }
        })
        .catch(error => {
          console.log(error.response);
          this.sending_flag = false;
        });
    },
  },
});
