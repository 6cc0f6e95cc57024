// Package ginsms adds SMS verification codes, guarded by an image captcha and backed by
// Redis, to a Gin application with one Register call. (The module is
// github.com/ginsms/ginsms; this package is github.com/ginsms/ginsms/ginsms.)
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
// quotas allow (the flag, the code and the per-phone count are written by one Lua script,
// only if the flag is absent; the per-IP and total counters in the same round trip, given
// back if another refuses); a code verifies once, and is deleted after
// sms.max_verify_attempts wrong tries. Once its captcha is spent a send runs to its end
// whatever the client does. A provider that definitely refused the message
// (sender.ErrRefused) has the send taken back, so the user can retry at once; any other
// failure is an unknown outcome, and the send is kept so that no second SMS goes out within
// the interval. When Redis is unreachable the answer is 5002 and nothing is sent. No
// command whose reply was lost is sent again by the client (see below). Neither captcha
// answers nor codes are logged (the demo "log" sender excepted).
//
// The destination guard (DestinationConfig, on by default) stops SMS pumping: codes
// sent to many numbers, usually of one range, from many addresses, and never verified.
// Codes sent and not verified are counted per number range, per foreign country and
// overall, in the same round trips as the quotas; a verified code leaves the counts. Past
// its limit a range or country is refused with 4008 for a block period (Service.Unblock
// lifts it), and past the overall cap only phones that verified before are served.
// Country and number-type rules (github.com/nyaruka/phonenumbers) refuse with 4008 at
// once. Test numbers get a fixed code and never reach the provider.
//
// Cost: a successful send is 3 Redis round trips (flag, quotas and destination blocks;
// captcha; store and counts), a rate-limited or blocked one 1, a verify 1, or 2 with the
// per-IP verify quota (counted first, so a refused try never reaches the code), and one
// more when it succeeds and the destination guard is on (its send leaves the counts).
//
// Keys (templates configurable; on Redis Cluster use hash tags such as "sms_{%s}" and
// "is_send_{%s}" so that one phone's keys share a slot, which New and Check enforce):
//
//	img_<uuid>            captcha answer            captcha.ttl
//	sms_<phone>           SMS code                  sms.code_ttl
//	is_send_<phone>       "1"                       sms.send_interval
//	sms_<phone>:tries     wrong verify tries        expires with the code
//	sms_<phone>:daily     sends to the phone        24 h from its first send
//	sms_ip:<ip>           sends from one client IP  1 h from its first send
//	sms_verify_ip:<ip>    verify tries from one IP  1 h from its first try
//	sms_total             sends from everyone       24 h from its first send
//	img_ip_<ip>           captcha images per IP     1 h from its first image
//	sms_<phone>:known     the phone verified        destination.known_for
//	sms_range:<range>     unverified sends          destination.window from its first
//	sms_range:<range>:blocked   range refused       destination.block
//	sms_country:<cc>[:blocked]  the same per foreign country
//	sms_unverified        unverified sends overall  destination.window from its first
//
// Topologies: every Lua script touches the keys of one cluster slot, and the commands of
// one step go out in one round trip (one pipeline, or one batch of an asynchronous
// autopipeliner), so one code path serves a single Redis, Sentinel and Cluster. A Ring is
// refused: it hashes the phones of a shard that stops answering onto the other shards,
// where their flags and quotas do not exist.
// Every command ginsms sends reports NoRetry, which every go-redis client honours: a
// command whose reply was lost (it may have run) answers 5002 instead of running twice,
// whatever the client's MaxRetries or MaxRedirects. With sms.replica_acks equal to the
// number of replicas of each primary, an SMS goes out only once every replica holds its
// code (WAIT), so a failover cannot forget a send; fewer acknowledgements than replicas
// do not keep that promise (see the README).
//
// The application owns the Redis client and passes it in; New and Register never talk to
// Redis, they only validate the configuration. Check, at start-up and from a readiness
// probe, proves Redis answers and refuses a topology that cannot work.
package ginsms
