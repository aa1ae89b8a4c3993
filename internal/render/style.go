package render

import (
	"fmt"
	"html"
	"strings"
	"unicode"
)

// Style controls terminal output.
type Style struct {
	// Color enables ANSI colours; callers set it for terminals only and
	// never when NO_COLOR is set.
	Color bool
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

func (s Style) paint(code, text string) string {
	if !s.Color {
		return text
	}
	return code + text + ansiReset
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Clean makes text read from the tenant safe to print on a terminal:
// control characters (a newline, an escape sequence) and bidirectional
// overrides, which could fake or hide lines, are shown as escapes.
func Clean(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unsafeRune(r) {
			fmt.Fprintf(&b, "\\u%04x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
}

// md escapes text for Markdown outside code: cleaned of control
// characters, HTML-escaped (so "</details>" is text), and Markdown's
// punctuation backslash-escaped (so no emphasis, link, table cell or code
// span can be opened or closed). An "@" is followed by a zero-width space:
// GitHub turns "@name" in text (not in code) into a mention, and a display
// name read from the tenant must not notify a person or team.
func md(s string) string {
	var b strings.Builder
	for _, r := range Clean(s) {
		if strings.ContainsRune("\\`*_{}[]()#+-!|~", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		if r == '@' {
			b.WriteRune('\u200b')
		}
	}
	return html.EscapeString(b.String())
}

// code is text as an HTML code element: entities are decoded inside it,
// unlike a Markdown code span, which a backtick in the text would close.
// A "|" is an entity too, so a table cell cannot be split.
func code(s string) string {
	return "<code>" + strings.ReplaceAll(html.EscapeString(Clean(s)), "|", "&#124;") + "</code>"
}
