// Package sender delivers SMS verification codes: a Message per code, the Sender
// interface, and four built-in kinds chosen by Config.Kind, each built by New.
//
//   - log: writes the masked phone and the code to a slog.Logger at level Info and sends
//     nothing. It is the default, for demos and development only, and warns once when
//     built.
//   - webhook: POSTs the message as JSON, signed with HMAC-SHA256, to a URL of one's own
//     (see WebhookConfig for the headers and the body, and what a receiver should check).
//   - twilio: Twilio Programmable Messaging (see TwilioConfig).
//   - aliyun: Alibaba Cloud SMS, the SendSms API (see AliyunConfig).
//
// A provider of one's own goes in Config.Custom, usually as a Func. New bounds every
// Send, of any kind, by Config.Timeout (a caller's earlier deadline still wins).
//
// # The message id
//
// Message.ID is a random id of one Send, drawn by the caller for each message. ginsms
// sends each code once (it never repeats a code, and keeps no id), so the id names that
// one request: the webhook sends it as "id", so a receiver that remembers the ids it
// accepted drops a replayed or retried copy of a request; Alibaba Cloud gets it as OutId
// (signed with the other parameters), which comes back in its delivery receipts. Twilio
// takes no such id.
//
// # Outcomes
//
// Send answers one of three outcomes, and the caller must tell them apart:
//
//   - nil: the provider accepted the message.
//   - an error wrapping ErrRefused: the provider definitely did NOT accept it. Nothing
//     will arrive, so the caller takes the send back and lets the user ask again at once.
//   - any other error: the outcome is UNKNOWN. The request may have reached the provider
//     and the SMS may still arrive: a timeout, a connection lost after the request was
//     written, a server error.
//
// Per kind:
//
//	kind     sent                    refused (ErrRefused)                   unknown
//	log      logged                  ctx already done (nothing logged)      -
//	webhook  2xx                     3xx, 4xx                               5xx, no answer
//	twilio   2xx                     3xx, 4xx                               5xx, no answer
//	aliyun   Code "OK" and 2xx       Code not "OK" (status below 500)       5xx, no Code, no answer
//	Custom   its own classification, passed through unchanged
//
// "No answer" is a transport error, a timeout or a connection lost after the request
// went out. A request that could not even be built is a refusal, since nothing went out.
// Redirects are never followed: a 3xx is classified by its status like any other answer.
// A deadline hit during a request, whether the caller's, Config.Timeout or the HTTP
// client's own timeout, is unknown, and the error wraps context.DeadlineExceeded.
//
// Why it matters: the caller flags the phone for a send interval so that one request
// yields at most one SMS. An unknown outcome must keep that flag: freeing the user to ask
// again while the first SMS may still be on its way would send a second one, costing
// money, confusing the user with two codes, and counting against the provider's per-phone
// limits. Only a definite refusal may free the user at once. A Custom sender should therefore wrap ErrRefused only when it knows
// the provider did not take the message.
//
// # Secrets
//
// The code and the credentials appear in no error and no log line (the log sender's code
// excepted, which is its purpose). Phones in errors are masked. A provider's own text,
// which may echo the request (Alibaba's SignatureDoesNotMatch quotes the string to sign),
// is quoted only after the phone is masked, the code and the credentials removed, control
// characters turned into spaces and its length bounded. Transport errors do not quote
// the URL, which may carry a token. At most 64 KiB of an answer is read.
package sender
