// Package middleware holds the two guards of the ginsms send flow, usable on their own on
// any Gin route, and the pieces they share with the rest of ginsms: reading and
// validating inputs, and writing the contract's JSON answers.
//
// A send request passes, in this order:
//
//  1. ValidateSend: 4001 if phone, uuid or imgcode is missing, 4005 if one is malformed
//     (phone against the configured pattern, uuid canonical, every input bounded). Nothing
//     has touched Redis yet, so bad input never creates a key.
//  2. RateLimit: 4004 (HTTP 429, Retry-After in seconds) while is_send_<phone> exists or a
//     quota is used up. The captcha is left alone, so a limited user does not lose it.
//  3. CaptchaGuard: the captcha img_<uuid> is consumed atomically (GETDEL) whatever the
//     outcome: 4002 if there was none, 4003 if the answer differs.
//
// The package does not know Redis: RateLimit takes a SendLimiter and CaptchaGuard a
// CaptchaVerifier, small interfaces that ginsms and captcha implement. Errors from them
// answer 5002 through an ErrorHandler that never shows the error to the client.
//
// Every answer is {"code": <int>, "errormsg": "<text>"}, written by a Responder whose
// bodies are rendered once; texts can be overridden and legacy mode answers HTTP 200.
package middleware
