// Package ginsms adds SMS verification codes, guarded by an image captcha and backed by
// Redis, to a Gin application with one Register call.
//
// The flow, as the browser sees it:
//
//  1. GET /image_codes/<uuid> with a UUID of the client's choosing: a PNG captcha whose
//     answer is stored at img_<uuid> (captcha.ttl, default 300 s). /audio speaks it.
//  2. GET or POST /sms_codes/<phone> with imgcode and uuid: checked in the contract's
//     order (4001 missing, 4005 malformed, 4004 too often, 4002/4003 captcha), then a code
//     of sms.code_length digits from crypto/rand is stored at sms_<phone> (sms.code_ttl),
//     the phone is flagged at is_send_<phone> (sms.send_interval) and the code is sent.
//  3. POST /sms_codes/<phone>/verify with sms_code, or RequireSMSCode on the
//     application's own route such as /register: a right code is consumed.
//
// Guarantees, each held by Redis itself so they stand across many app servers sharing
// one Redis: a captcha serves one attempt at most, right or wrong (GETDEL); at most one
// SMS per phone per send_interval however many requests race, and never more than the
// quotas allow (the flag, the code and the counters are written by one Lua script,
// only if the flag is absent); a code verifies once, and is deleted after
// sms.max_verify_attempts wrong tries. When the provider fails the send is taken back, so
// the user can retry at once; when Redis is unreachable the answer is 5002 and nothing is
// sent. Neither captcha answers nor codes are logged (the demo "log" sender excepted).
//
// Cost: a successful send is 3 Redis round trips (flag and quotas; captcha; store), a
// rate-limited one is 1, a verify is 1.
//
// Keys (templates configurable; use hash tags such as "sms_{%s}" and "is_send_{%s}" on
// Redis Cluster so that one phone's keys share a slot):
//
//	img_<uuid>            captcha answer            captcha.ttl
//	sms_<phone>           SMS code                  sms.code_ttl
//	is_send_<phone>       "1"                       sms.send_interval
//	sms_<phone>:tries     wrong verify tries        expires with the code
//	sms_<phone>:daily     sends to the phone        24 h from its first send
//	sms_ip:<ip>           sends from one client IP  1 h from its first send
//	sms_total             sends from everyone       24 h from its first send
//	img_ip_<ip>           captcha images per IP     1 h from its first image
//
// The application owns the Redis client (single, Sentinel or Cluster) and passes it in;
// New and Register never talk to Redis, they only validate the configuration.
package ginsms
