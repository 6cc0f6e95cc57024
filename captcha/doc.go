// Package captcha serves the human checks of ginsms: the image captchas (the default
// kind), their audio version, and their answers in Redis for the send flow to consume;
// and the other kinds of Config.Kind: Altcha (a proof of work for the ALTCHA widget) and
// SiteVerifier (Turnstile, hCaptcha, reCAPTCHA), which implement middleware.HumanChecker
// and spend each proof once in Redis (img_spent_<hex>, SET NX).
//
// The flow:
//
//  1. The client picks a random UUID and loads GET /image_codes/<uuid> (Handler.Image).
//     Store.New draws Config.Length digits from a cryptographic source and stores them,
//     as ASCII digits, at img_<uuid> (Config.Key) with Config.TTL (300 s); the client
//     gets a PNG of them. Loading the image again replaces the answer.
//  2. A client that cannot read it loads GET /image_codes/<uuid>/audio?lang=en
//     (Handler.Audio): the same answer, spoken. It does not change or consume the answer,
//     and counts against the hourly quota like an image.
//  3. The send flow (middleware.CaptchaGuard, with Store as its CaptchaVerifier) consumes
//     the captcha atomically with GETDEL, whatever the outcome: a captcha serves a single
//     attempt, even under concurrent requests, and cannot be guessed twice. The answer is
//     compared ignoring case and surrounding blanks, in constant time.
//
// An invalid uuid is refused (4005) before Redis is touched, so bad input never creates a
// key. Neither the answer nor the image is ever logged.
//
// Per-IP quota: with Config.HourlyLimitPerIP (300 by default) each image and each audio
// rendering also counts in img_ip_<address> (the Key template with "ip_" before the %s),
// which expires 3600 s after the address's first request of the window (and gets its TTL
// back if it ever lost it). Past the limit the routes answer 4004 with Retry-After and
// leave no answer behind. The count and the answer's write (or read) are single-key
// commands sent in one round trip, so they work on a single Redis, Sentinel or Cluster
// alike; a refused image takes back the answer it wrote. Addresses come from
// c.ClientIP(), which believes forwarding headers only from the engine's trusted
// proxies; an IPv6 address counts per /64.
//
// Redis keys (defaults):
//
//	img_<uuid>       answer, ASCII digits       TTL captcha.ttl (300 s)
//	img_ip_<address> captchas this hour, int    TTL 3600 s from the first one
//	img_spent_<hex>  1: a spent ALTCHA challenge TTL the challenge's remaining life
//	                 or provider token (SHA-256) TTL 300 s
//
// Images are drawn by github.com/dchest/captcha and encoded with a pooled PNG encoder,
// about twice as fast as dchest's own WriteTo and with a twentieth of its allocation
// (see BenchmarkRender). GETDEL needs Redis 6.2 or later.
package captcha
