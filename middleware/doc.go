// Package middleware holds the guards of the ginsms send flow, usable on their own on any
// Gin route with a limiter and a verifier of one's own or ginsms's.
//
// A send request passes, in this order:
//
//  1. ValidateSend: 4001 if phone, uuid or imgcode is missing or blank, 4005 if one is
//     malformed (the phone against the configured pattern, exactly as sent; the uuid
//     canonical; every input bounded). Nothing has touched Redis yet, so bad input never
//     creates a key.
//  2. RateLimit: 4004 (HTTP 429, Retry-After in seconds) while the phone may not be sent
//     another SMS (its flag or a quota, as the SendLimiter says). The captcha is left
//     alone, so a limited user does not lose it.
//  3. CaptchaGuard: the captcha is consumed whatever the outcome (the CaptchaVerifier;
//     GETDEL in ginsms): 4002 if there was none, 4003 if the answer differs.
//
// Then the application's handler, or ginsms's, sends the code; Phone returns the phone the
// guards validated. Fields are read from the path, then the body (form, multipart or JSON
// object; its first 64 KiB), then the query; the body is left whole for the handlers after.
//
// The package does not know Redis: RateLimit takes a SendLimiter and CaptchaGuard a
// CaptchaVerifier, small interfaces that ginsms and captcha implement. Their errors are
// answered by Config.ErrorHandler, by default a line through Config.Logger and 5002; the
// client never sees the error. Every answer is {"code": <int>, "errormsg": "<text>"};
// texts can be overridden (Config.Messages) or English (Config.Language), legacy mode
// answers HTTP 200, and Config.Aliases and Config.Answer let a front end written for
// another backend keep its field names and read its own envelope.
package middleware
