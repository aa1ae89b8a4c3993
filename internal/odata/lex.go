package odata

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

type tokenKind int

const (
	tEOF tokenKind = iota
	tIdent
	tString
	tNumber
	tGUID
	tDateTime
	tLParen
	tRParen
	tComma
	tSlash
	tColon
)

type token struct {
	kind tokenKind
	text string
	at   int
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "the end of the filter"
	case tString:
		return fmt.Sprintf("the string '%s'", t.text)
	case tLParen, tRParen, tComma, tSlash, tColon:
		return fmt.Sprintf("'%s'", t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

var (
	guidRe     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
	dateTimeRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?`)
	numberRe   = regexp.MustCompile(`^-?\d+(\.\d+)?([eE][+-]?\d+)?`)
)

func lex(s string) ([]token, error) {
	if !utf8.ValidString(s) {
		return nil, &Error{Offset: 0, Msg: "filter is not valid UTF-8"}
	}
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{tLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, token{tRParen, ")", i})
			i++
		case c == ',':
			toks = append(toks, token{tComma, ",", i})
			i++
		case c == '/':
			toks = append(toks, token{tSlash, "/", i})
			i++
		case c == ':':
			toks = append(toks, token{tColon, ":", i})
			i++
		case c == '\'':
			// OData strings escape a quote by doubling it: 'O''Brien'.
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(s) {
					return nil, &Error{Offset: i, Msg: "string literal is not terminated: add the closing '"}
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			toks = append(toks, token{tString, b.String(), i})
			i = j + 1
		case c == '"':
			return nil, &Error{Offset: i, Msg: `OData strings use single quotes: 'value', not "value"`}
		case guidRe.MatchString(s[i:]) && !isIdentByte(at(s, i+36)):
			toks = append(toks, token{tGUID, s[i : i+36], i})
			i += 36
		case c >= '0' && c <= '9' || c == '-' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			if m := dateTimeRe.FindString(s[i:]); m != "" && len(m) >= 10 {
				toks = append(toks, token{tDateTime, m, i})
				i += len(m)
				continue
			}
			m := numberRe.FindString(s[i:])
			toks = append(toks, token{tNumber, m, i})
			i += len(m)
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			toks = append(toks, token{tIdent, s[i:j], i})
			i = j
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			return nil, &Error{Offset: i, Msg: fmt.Sprintf("unexpected character %q", r)}
		}
	}
	toks = append(toks, token{tEOF, "", len(s)})
	return toks, nil
}

func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '@' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentByte(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '.'
}
