package main

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/ginsms"
	"github.com/ginsms/ginsms/middleware"
)

// ginsmsFields: /register reads "phone" and "sms_code", the defaults.
var ginsmsFields = middleware.FieldNames{}

// registerHandler is a stub of an application's sign-up: RequireSMSCode ran before it, so
// the phone is verified; a real one would create the account here.
func registerHandler(c *gin.Context) {
	phone, _ := ginsms.VerifiedPhone(c)
	c.JSON(http.StatusOK, gin.H{"code": 200, "errormsg": "ok", "phone": phone})
}
