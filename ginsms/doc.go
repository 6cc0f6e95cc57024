// Package ginsms adds SMS verification codes, guarded by an image captcha and backed by
// Redis, to a Gin application with one Register call. (The module is
// github.com/ginsms/ginsms; this package is github.com/ginsms/ginsms/ginsms.)
//
// The flow, as the browser sees it:
//
//  1. GET /image_codes/<uuid> with a UUID of the client's choosing: a PNG captcha (/audio
//     speaks it).
//  2. GET or POST /sms_codes/<phone> with imgcode and uuid: the inputs are validated, the
//     phone's interval and quotas checked, the captcha consumed, and a code stored and sent.
//  3. POST /sms_codes/<phone>/verify with sms_code, or RequireSMSCode on the application's
//     own route such as /register: a right code is consumed.
//
// The API, from the whole to the parts: Register mounts every route; New builds the same
// Service without routes. The Service hands out the handlers Register mounts (SendRoute,
// SendGuards, VerifyRoute, ImageRoute, AudioRoute), each built once with every setting of
// the Config, for paths of the application's own, and does the steps from Go (SendCode,
// Verify). RequireSMSCode guards a route of the application's own with a code. Check
// proves, at start-up and from a readiness probe, that Redis answers and that its
// topology can work. The application owns the Redis client; New and Register never talk
// to Redis. Package config reads a Config from YAML and the environment.
//
// The destination guard (DestinationConfig, on by default) stops SMS pumping: codes
// sent to many numbers, usually of one range, and never verified are counted per number
// range, per foreign country and overall; past its limit a range or country is refused
// with 4008 for a block period (Service.Unblock lifts it). Country and number-type rules
// (github.com/nyaruka/phonenumbers) refuse with 4008 at once. Test numbers get a fixed
// code and never reach the provider.
//
// Every guarantee (a captcha serves one attempt; one SMS per phone per interval however
// many requests race; quotas; a code verifies once; what a provider failure keeps) is
// held by Redis itself, in one command or one Lua script, so it stands across many app
// servers. The README says each of them once, with the Redis keys, the topologies and
// what production needs: https://github.com/ginsms/ginsms#readme.
package ginsms
