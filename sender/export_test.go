package sender

import (
	"fmt"
	"time"
)

// Test hooks and internals, for the external tests only.

// SetClock fixes the clock of a webhook or aliyun sender built by New.
func SetClock(s Sender, now func() time.Time) {
	switch in := s.(timeoutSender).s.(type) {
	case *webhookSender:
		in.now = now
	case *aliyunSender:
		in.now = now
	default:
		panic(fmt.Sprintf("SetClock: %T has no clock", in))
	}
}

// SetNonce fixes the SignatureNonce of an aliyun sender built by New.
func SetNonce(s Sender, nonce func() string) {
	s.(timeoutSender).s.(*aliyunSender).nonce = nonce
}

// Alibaba Cloud's signing steps, for known-answer tests.
var (
	AliyunCanonicalQuery = aliyunCanonicalQuery
	AliyunStringToSign   = aliyunStringToSign
	AliyunSign           = aliyunSign
	AliyunPercentEncode  = aliyunPercentEncode
)
