package main

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ginsms/ginsms/ginsms"
)

// registerForm is what the sign-up route reads of its own, after RequireSMSCode read
// phone and sms_code from the same body and left it whole.
type registerForm struct {
	Username string `json:"username" form:"username"`
}

// registerHandler is a stub of an application's sign-up: RequireSMSCode ran before it, so
// the phone is verified; a real one would create the account here.
func registerHandler(c *gin.Context) {
	phone, ok := ginsms.VerifiedPhone(c)
	if !ok { // never true behind RequireSMSCode; a sign-up must not go on without a phone
		c.AbortWithStatus(http.StatusForbidden)
		return
	}
	var form registerForm
	if err := c.ShouldBind(&form); err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": "unreadable body"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"registered": phone, "username": form.Username})
}
