package ginsms_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/ginsms/ginsms/ginsms"
)

// A meiduo register page kept as it is: it sends image_code with uuid or image_code_id,
// and reads {"code": "<RETCODE>", "errmsg"} from an HTTP 200 (here a send without its
// image code, answered before Redis is asked).
func Example_dialect() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}) // not reached here
	defer rdb.Close()
	cfg := ginsms.DefaultConfig()
	cfg.Routes.Dialect = "meiduo" // GINSMS_ROUTES_DIALECT=meiduo
	router := gin.New()
	if _, err := ginsms.Register(router, rdb, cfg); err != nil {
		fmt.Println(err)
		return
	}
	w := httptest.NewRecorder()
	router.ServeHTTP(w, httptest.NewRequest("GET", "/sms_codes/13800138000/?image_code_id=1b4e28ba-2fa1-41d2-883f-0016d3cca427", nil))
	fmt.Println(w.Code, w.Body)
	// Output:
	// 200 {"code":"4003","errmsg":"缺少必传参数"}
}

// The English message set, or per request by Accept-Language with "auto".
func Example_language() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}) // not reached here
	defer rdb.Close()
	cfg := ginsms.DefaultConfig()
	cfg.Routes.Language = "auto" // GINSMS_ROUTES_LANGUAGE=auto; "en" for English always
	router := gin.New()
	if _, err := ginsms.Register(router, rdb, cfg); err != nil {
		fmt.Println(err)
		return
	}
	for _, lang := range []string{"en-GB,en;q=0.9", "zh-CN,zh;q=0.9,en;q=0.8"} {
		req := httptest.NewRequest("GET", "/sms_codes/13800138000?uuid=1b4e28ba-2fa1-41d2-883f-0016d3cca427", nil)
		req.Header.Set("Accept-Language", lang)
		w := httptest.NewRecorder()
		router.ServeHTTP(w, req)
		fmt.Println(w.Code, w.Body)
	}
	// Output:
	// 400 {"code":4001,"errormsg":"A required field is missing"}
	// 400 {"code":4001,"errormsg":"缺少必传参数"}
}
