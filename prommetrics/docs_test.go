package prommetrics_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"go.yaml.in/yaml/v3"
)

// The documents that name the metrics, checked against what New registers so that
// they cannot drift from the code.
const (
	dashboardFile  = "../docs/grafana-dashboard.json"
	operationsFile = "../docs/operations.md"
	docFile        = "doc.go"
)

// exported returns the metric families New registers, and the series names a PromQL query
// can select (a classic histogram's _bucket, _sum and _count, not its own name).
func exported(t *testing.T) (families, queryable map[string]bool) {
	t.Helper()
	reg, obs := newObserver(t)
	callEveryHook(obs)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	families, queryable = map[string]bool{}, map[string]bool{}
	for _, mf := range mfs {
		families[mf.GetName()] = true
		if mf.GetType() == dto.MetricType_HISTOGRAM {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				queryable[mf.GetName()+suffix] = true
			}
			continue
		}
		queryable[mf.GetName()] = true
	}
	return families, queryable
}

// promqlWords are the functions, aggregations and keywords the queries may use; any other
// word must be a metric name. A new function is added here on purpose.
var promqlWords = map[string]bool{
	"sum": true, "rate": true, "increase": true, "histogram_quantile": true, "offset": true,
	"and": true, "or": true, "unless": true, "bool": true, "max": true, "min": true, "avg": true,
	"count": true, "clamp_min": true, "clamp_max": true, "abs": true,
}

var (
	promqlString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promqlMatchers = regexp.MustCompile(`\{[^{}]*\}`)
	promqlRange    = regexp.MustCompile(`\[[^\[\]]*\]`)
	promqlGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)`)
	promqlVariable = regexp.MustCompile(`\$\{?\w+\}?`)
	promqlWord     = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*|[0-9][0-9A-Za-z_.]*`)
)

// metricNames returns the metric names expr selects; an error for a word that is neither
// a known function nor a metric of queryable (nor of external), unbalanced brackets, or no
// metric at all.
func metricNames(expr string, queryable, external map[string]bool) ([]string, error) {
	depth := map[rune]int{}
	for _, r := range promqlString.ReplaceAllString(expr, `""`) {
		switch r {
		case '(', '{', '[':
			depth[r]++
		case ')':
			depth['(']--
		case '}':
			depth['{']--
		case ']':
			depth['[']--
		}
		for _, d := range depth {
			if d < 0 {
				return nil, fmt.Errorf("unbalanced brackets")
			}
		}
	}
	for open, d := range depth {
		if d != 0 {
			return nil, fmt.Errorf("unbalanced %c", open)
		}
	}
	s := promqlString.ReplaceAllString(expr, `""`)
	s = promqlMatchers.ReplaceAllString(s, " ")
	s = promqlRange.ReplaceAllString(s, " ")
	s = promqlGrouping.ReplaceAllString(s, " ")
	s = promqlVariable.ReplaceAllString(s, " ")
	var names []string
	for _, w := range promqlWord.FindAllString(s, -1) {
		switch {
		case w[0] >= '0' && w[0] <= '9', promqlWords[w]:
		case queryable[w], external[w]:
			names = append(names, w)
		default:
			return nil, fmt.Errorf("%q is neither a PromQL function nor a metric prommetrics exports", w)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("selects no metric")
	}
	return names, nil
}

func TestMetricNamesChecker(t *testing.T) {
	_, queryable := exported(t)
	for _, tc := range []struct {
		expr string
		ok   bool
	}{
		{`sum by (route, code) (rate(ginsms_requests_total{job=~"$job"}[$__rate_interval]))`, true},
		{`histogram_quantile(0.99, sum by (le) (rate(ginsms_sender_duration_seconds_bucket[5m])))`, true},
		{`sum(rate(ginsms_sms_sent_total{outcome="sent"}[1h] offset 1w)) > 3`, true},
		{`sum(rate(ginsms_sms_sent_totals[5m]))`, false},               // a typo
		{`rate(ginsms_sender_duration_seconds[5m])`, false},            // a histogram has no series of its own name
		{`sum(rate(ginsms_requests_total[5m])`, false},                 // unbalanced
		{`sum(rate(http_requests_total{code="ginsms_x"}[5m]))`, false}, // not ours
		{`vector(1)`, false},
	} {
		if _, err := metricNames(tc.expr, queryable, nil); (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok=%v", tc.expr, err, tc.ok)
		}
	}
}

// docs/grafana-dashboard.json imports: valid JSON of a recent schema, an input or a
// variable for the data source, a unique id, a title and the data source on every panel
// and target, and queries that select only metrics prommetrics exports, each of them.
func TestDashboard(t *testing.T) {
	_, queryable := exported(t)
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	type datasource struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	}
	var dash struct {
		Inputs []struct {
			Name     string `json:"name"`
			Type     string `json:"type"`
			PluginID string `json:"pluginId"`
		} `json:"__inputs"`
		SchemaVersion int    `json:"schemaVersion"`
		Title         string `json:"title"`
		UID           string `json:"uid"`
		Panels        []struct {
			ID         *int        `json:"id"`
			Type       string      `json:"type"`
			Title      string      `json:"title"`
			Datasource *datasource `json:"datasource"`
			GridPos    struct{ X, Y, W, H int }
			Targets    []struct {
				Datasource *datasource `json:"datasource"`
				Expr       string      `json:"expr"`
				RefID      string      `json:"refId"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name       string      `json:"name"`
				Type       string      `json:"type"`
				Datasource *datasource `json:"datasource"`
				Definition string      `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&dash); err != nil {
		t.Fatalf("%s is not valid JSON: %v", dashboardFile, err)
	}
	if dash.SchemaVersion < 39 || dash.Title == "" || dash.UID == "" {
		t.Errorf("schemaVersion %d, title %q, uid %q: want a recent schema (>= 39), a title and a uid", dash.SchemaVersion, dash.Title, dash.UID)
	}
	sources := map[string]bool{}
	for _, in := range dash.Inputs {
		if in.Type == "datasource" && in.PluginID == "prometheus" {
			sources["${"+in.Name+"}"] = true
		}
	}
	for _, v := range dash.Templating.List {
		if v.Type == "datasource" {
			sources["${"+v.Name+"}"] = true
		}
	}
	if len(sources) == 0 {
		t.Fatal("no Prometheus data source input (__inputs) nor datasource variable")
	}
	validSource := func(ds *datasource) bool { return ds != nil && ds.Type == "prometheus" && sources[ds.UID] }
	for _, v := range dash.Templating.List {
		if v.Type != "query" {
			continue
		}
		if !validSource(v.Datasource) {
			t.Errorf("variable %s: data source %+v", v.Name, v.Datasource)
		}
		m := regexp.MustCompile(`^label_values\((\w+),\s*\w+\)$`).FindStringSubmatch(v.Definition)
		if m == nil || !queryable[m[1]] {
			t.Errorf("variable %s: %q, want label_values(<a prommetrics metric>, <label>)", v.Name, v.Definition)
		}
	}
	ids := map[int]string{}
	used := map[string]bool{}
	for i, p := range dash.Panels {
		name := fmt.Sprintf("panel %d %q", i, p.Title)
		switch {
		case p.ID == nil:
			t.Errorf("%s has no id", name)
		case ids[*p.ID] != "":
			t.Errorf("%s has the id %d of %s", name, *p.ID, ids[*p.ID])
		default:
			ids[*p.ID] = name
		}
		if p.Title == "" || p.Type == "" || p.GridPos.W == 0 || p.GridPos.H == 0 {
			t.Errorf("%s: title, type or size missing", name)
		}
		if !validSource(p.Datasource) {
			t.Errorf("%s: data source %+v, want the Prometheus input", name, p.Datasource)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s has no query", name)
		}
		refs := map[string]bool{}
		for _, q := range p.Targets {
			if q.Datasource != nil && !validSource(q.Datasource) {
				t.Errorf("%s: target data source %+v", name, q.Datasource)
			}
			if q.RefID == "" || refs[q.RefID] {
				t.Errorf("%s: refId %q missing or repeated", name, q.RefID)
			}
			refs[q.RefID] = true
			names, err := metricNames(q.Expr, queryable, nil)
			if err != nil {
				t.Errorf("%s: %s: %v", name, q.Expr, err)
			}
			for _, n := range names {
				used[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")] = true
			}
		}
	}
	families, _ := exported(t)
	for f := range families {
		if !used[f] {
			t.Errorf("no panel shows %s", f)
		}
	}
}

// The alert rules of docs/operations.md: a valid rules file whose every rule is named
// once, has a severity and a summary, and queries the ginsms metrics (and only up and
// probe_success besides).
func TestAlertRules(t *testing.T) {
	_, queryable := exported(t)
	raw, err := os.ReadFile(operationsFile)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(groups:.*?)```").FindSubmatch(raw)
	if m == nil {
		t.Fatalf("%s: no ```yaml block starting with groups:", operationsFile)
	}
	var file struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(m[1])))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		t.Fatalf("rules: %v", err)
	}
	external := map[string]bool{"up": true, "probe_success": true}
	seen := map[string]bool{}
	n := 0
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			n++
			if r.Alert == "" || seen[r.Alert] {
				t.Errorf("group %s: alert name %q missing or repeated", g.Name, r.Alert)
			}
			seen[r.Alert] = true
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("%s: no severity label or summary", r.Alert)
			}
			if _, err := metricNames(r.Expr, queryable, external); err != nil {
				t.Errorf("%s: %v", r.Alert, err)
			}
		}
	}
	if n < 10 {
		t.Errorf("%d rules, want the pumping, provider and Redis rules", n)
	}
}

// doc.go and docs/operations.md name every metric, and no other ginsms_ name.
func TestDocsNameTheMetrics(t *testing.T) {
	families, queryable := exported(t)
	word := regexp.MustCompile(`ginsms_[a-z_]+[a-z]`)
	for _, file := range []string{docFile, operationsFile} {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		named := map[string]bool{}
		for _, w := range word.FindAllString(string(raw), -1) {
			named[w] = true
			if !families[w] && !queryable[w] {
				t.Errorf("%s names %s, which prommetrics does not export", file, w)
			}
		}
		var missing []string
		for f := range families {
			if !named[f] {
				missing = append(missing, f)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s does not name %s", file, strings.Join(missing, ", "))
		}
	}
}
