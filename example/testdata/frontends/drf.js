// The Django REST framework variant: text and image_code_id in the query; any 2xx is a
// send, a refusal is an HTTP 400 whose message the page shows.
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
      this.error_sms_code = false;
      axios.get('/sms_codes/' + this.mobile + '/?text=' + this.image_code + '&image_code_id=' + this.image_code_id, {
        responseType: 'json',
      })
        .then(response => {
          start_countdown(this);
        })
        .catch(error => {
          if (error.response.status == 400) {
            this.error_sms_code_message = error.response.data.message;
            this.error_sms_code = true;
          } else {
            console.log(error.response.data);
          }
          this.generate_image_code();
          this.sending_flag = false;
        });
    },
  },
});
