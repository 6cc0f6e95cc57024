package prommetrics_test

import (
	"testing"
	"time"
)

// A kind's five outcomes appear together at its first check (so rate() sees a first
// refusal), each call counts one, and a provider call is one histogram sample.
func TestHumanChecks(t *testing.T) {
	reg, obs := newObserver(t)
	before := series(t, reg)
	obs.HumanChecked("altcha", "refused")
	obs.HumanChecked("altcha", "passed")
	obs.HumanChecked("altcha", "passed")
	obs.HumanCheckTook("recaptcha", 300*time.Millisecond)
	after := series(t, reg)
	for _, o := range []string{"passed", "refused", "expired", "unavailable", "error"} {
		if _, ok := after[`ginsms_human_checks_total{kind="altcha",outcome="`+o+`"}`]; !ok {
			t.Errorf("no altcha %s series after the first check", o)
		}
	}
	want := `ginsms_human_check_provider_duration_seconds_bucket{kind="recaptcha",le="0.5"} 1
ginsms_human_check_provider_duration_seconds_bucket{kind="recaptcha",le="1"} 1
ginsms_human_check_provider_duration_seconds_bucket{kind="recaptcha",le="10"} 1
ginsms_human_check_provider_duration_seconds_bucket{kind="recaptcha",le="2.5"} 1
ginsms_human_check_provider_duration_seconds_bucket{kind="recaptcha",le="5"} 1
ginsms_human_check_provider_duration_seconds_count{kind="recaptcha"} 1
ginsms_human_check_provider_duration_seconds_sum{kind="recaptcha"} 0.3
ginsms_human_checks_total{kind="altcha",outcome="passed"} 2
ginsms_human_checks_total{kind="altcha",outcome="refused"} 1`
	if got := moved(before, after); got != want {
		t.Errorf("moved:\n%s\nwant:\n%s", got, want)
	}
}
