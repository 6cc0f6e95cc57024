package ginsms

import (
	"maps"
	"net/http"
	"sort"
	"strings"

	"github.com/ginsms/ginsms/internal/contract"
	"github.com/ginsms/ginsms/internal/input"
	"github.com/ginsms/ginsms/middleware"
)

// dialect is what a front end written against another backend sends and reads: more
// names for the inputs, and the shape of the answers.
type dialect struct {
	fields middleware.FieldAliases
	answer middleware.Answer
}

// dialects are the presets of routes.dialect.
var dialects = map[string]dialect{
	// The contract's own inputs and answers.
	"ginsms": {},
	// The register pages of the Django "meiduo" shops: image_code with uuid or
	// image_code_id in the query; every answer HTTP 200 {"code": "<RETCODE>", "errmsg"}
	// with their shared RETCODE table (OK "0", IMAGECODEERR "4001", THROTTLINGERR "4002",
	// NECESSARYPARAMERR "4003", MOBILEERR "4007", SMSCODERR "4008", DBERR "5000"). The
	// pages count a send as done on code == '0' and show errmsg otherwise.
	"meiduo": {
		fields: middleware.FieldAliases{ImageCode: []string{"image_code"}, UUID: []string{"image_code_id"}},
		answer: middleware.Answer{MessageField: "errmsg", RefusalStatus: http.StatusOK, Codes: map[int]any{
			int(contract.CodeOK):                 "0",
			int(contract.CodeMissingInput):       "4003",
			int(contract.CodeCaptchaExpired):     "4001",
			int(contract.CodeCaptchaMismatch):    "4001",
			int(contract.CodeTooFrequent):        "4002",
			int(contract.CodeMalformedInput):     "4007",
			int(contract.CodeSMSWrong):           "4008",
			int(contract.CodeSMSExpired):         "4008",
			int(contract.CodeDestinationRefused): "4007",
			int(contract.CodeSenderFailed):       "5000",
			int(contract.CodeStorageDown):        "5000",
			int(contract.CodeHumanCheckDown):     "5000",
		}},
	},
	// The Django REST framework variants of those pages: text and image_code_id in the
	// query; success any 2xx, every refusal HTTP 400 with {"message": "<text>"}.
	"drf": {
		fields: middleware.FieldAliases{ImageCode: []string{"text"}, UUID: []string{"image_code_id"}},
		answer: middleware.Answer{MessageField: "message", RefusalStatus: http.StatusBadRequest},
	},
}

// dialectNames lists the presets, for error messages.
func dialectNames() string {
	names := make([]string, 0, len(dialects))
	for name := range dialects {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// spoken returns the field aliases and the answer shape of r: the dialect's preset, with
// what r sets itself in its place (a field list, a field name, a code value, a status).
func (r RoutesConfig) spoken() (middleware.FieldAliases, middleware.Answer) {
	d := dialects[r.Dialect]
	f, a := d.fields, d.answer
	for _, set := range []struct{ own, into *[]string }{
		{&r.Fields.Phone, &f.Phone}, {&r.Fields.UUID, &f.UUID},
		{&r.Fields.ImageCode, &f.ImageCode}, {&r.Fields.SMSCode, &f.SMSCode},
	} {
		if *set.own != nil {
			*set.into = *set.own
		}
	}
	if r.Answer.CodeField != "" {
		a.CodeField = r.Answer.CodeField
	}
	if r.Answer.MessageField != "" {
		a.MessageField = r.Answer.MessageField
	}
	if r.Answer.RefusalStatus != 0 {
		a.RefusalStatus = r.Answer.RefusalStatus
	}
	if len(r.Answer.Codes) > 0 {
		codes := maps.Clone(a.Codes)
		if codes == nil {
			codes = map[int]any{}
		}
		maps.Copy(codes, r.Answer.Codes)
		a.Codes = codes
	}
	return f, a
}

// validate reports the problems of routes.dialect, routes.language, routes.fields and
// routes.answer.
func (r RoutesConfig) validate() []error {
	var errs []error
	if _, ok := dialects[r.Dialect]; !ok && r.Dialect != "" {
		errs = append(errs, configError("routes.dialect", "must be one of %s, got %q", dialectNames(), r.Dialect))
	}
	switch r.Language {
	case "", contract.LanguageChinese, contract.LanguageEnglish, contract.LanguageAuto:
	default:
		errs = append(errs, configError("routes.language", "must be zh, en or auto, got %q", r.Language))
	}
	aliases, answer := r.spoken()
	if _, err := input.New(input.Config{Fields: input.Named("", "", "", "", input.Fields(aliases))}); err != nil {
		errs = append(errs, configError("routes.fields", "%v", err))
	}
	if _, err := contract.NewResponder(contract.Options{Envelope: contract.Envelope(answer)}); err != nil {
		errs = append(errs, configError("routes.answer", "%s", strings.TrimPrefix(err.Error(), "answer: ")))
	}
	return errs
}
