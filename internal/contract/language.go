package contract

import (
	"strconv"
	"strings"
)

// maxLanguageRanges bounds the work spent on one Accept-Language header.
const maxLanguageRanges = 16

// prefersChinese reports whether an Accept-Language header ranks Chinese (zh, zh-CN,
// zh-Hant, …) above English: the highest quality wins, and between equal qualities the
// range listed first. A header naming neither, or none at all, is not Chinese.
func prefersChinese(header string) bool {
	bestZH, bestEN := -1.0, -1.0
	firstZH, firstEN := -1, -1
	for i := 0; header != "" && i < maxLanguageRanges; i++ {
		var item string
		item, header, _ = strings.Cut(header, ",")
		tag, params, _ := strings.Cut(item, ";")
		tag = strings.TrimSpace(tag)
		q := 1.0
		if p := strings.TrimSpace(params); strings.HasPrefix(p, "q=") {
			v, err := strconv.ParseFloat(p[2:], 64)
			if err != nil || v < 0 || v > 1 {
				continue
			}
			q = v
		}
		if q == 0 {
			continue
		}
		primary, _, _ := strings.Cut(tag, "-")
		switch {
		case strings.EqualFold(primary, "zh") && q > bestZH:
			bestZH, firstZH = q, i
		case strings.EqualFold(primary, "en") && q > bestEN:
			bestEN, firstEN = q, i
		}
	}
	switch {
	case bestZH < 0:
		return false
	case bestEN < 0 || bestZH > bestEN:
		return true
	}
	return bestZH == bestEN && firstZH < firstEN
}
