// Package prommetrics exports what a ginsms.Service does as Prometheus metrics: New
// registers the collectors on a registry of the application's choosing and returns the
// ginsms.Observer that updates them; set it as ginsms.Config.Observer.
//
//	reg := prometheus.NewRegistry()
//	obs, err := prommetrics.New(reg)
//	if err != nil {
//		log.Fatal(err)
//	}
//	cfg.Observer = obs
//	router.GET("/metrics", gin.WrapH(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
//
// The metrics (their names and labels are part of the contract; docs/operations.md says
// how to alert on them):
//
//	name                                    type       labels           what
//	ginsms_requests_total                   counter    route, code      answers of the routes: route image, audio,
//	                                                                    send or verify; code the contract code
//	                                                                    ("200" for an image or audio served)
//	ginsms_quota_refusals_total             counter    quota            requests a limit refused (4004): interval,
//	                                                                    phone_daily, ip_hourly, total_daily,
//	                                                                    captcha_ip, verify_ip
//	ginsms_sms_sent_total                   counter    sender, outcome  calls to the SMS provider: sender is
//	                                                                    sender.kind or "custom"; outcome sent,
//	                                                                    refused (taken back) or unknown (kept)
//	ginsms_sender_duration_seconds          histogram  sender, outcome  how long each provider call took
//	                                                                    (buckets 0.05 s to 10 s)
//	ginsms_verify_attempts_exhausted_total  counter    -                codes deleted after
//	                                                                    sms.max_verify_attempts wrong tries
//	ginsms_storage_errors_total             counter    op               failed Redis steps: captcha, send_wait,
//	                                                                    store, take_back, verify, check
//	ginsms_unknown_client_total             counter    -                sends and verifies from a client address
//	                                                                    that is not an IP (one shared per-IP
//	                                                                    bucket: fix the listener or proxies)
//	ginsms_destination_refusals_total       counter    reason           sends refused by the destination guard
//	                                                                    (4008): range, country, total,
//	                                                                    country_rule, number_type
//	ginsms_destination_blocks_total         counter    scope            blocks started (range, country) by
//	                                                                    unverified sends past the limit
//	ginsms_human_checks_total               counter    kind, outcome    human checks of the send route: kind is
//	                                                                    captcha.kind; outcome passed, refused,
//	                                                                    expired, unavailable (5003) or error
//	ginsms_human_check_provider_duration_seconds
//	                                        histogram  kind             how long each siteverify call took
//	                                                                    (turnstile, hcaptcha, recaptcha)
//
// No label ever holds a phone, an IP or a code: every label value comes from a short
// fixed list, so the number of series is bounded.
//
// Series that exist before anything happened, so that dashboards show zeros and rate()
// sees the first event: every quota of ginsms_quota_refusals_total, every op of
// ginsms_storage_errors_total, every reason and scope of the destination metrics, and for
// each route of ginsms_requests_total the codes that
// route can answer (image: 200, 4001, 4004, 4005, 5002; audio: the same and 4002; send:
// 200, 4001 to 4005, 4008, 5001, 5002, 5003; verify: 200, 4001, 4004 to 4007, 5002). A sender is
// known only once it is called: ginsms_sms_sent_total and ginsms_sender_duration_seconds
// get its three outcomes at its first call; a human-check kind gets its five outcomes
// of ginsms_human_checks_total at its first check.
//
// The Observer's functions are safe for concurrent use and do not block; each costs a
// map lookup and an atomic add (the first call of a new label set takes a lock once),
// and none talks to Redis.
package prommetrics
