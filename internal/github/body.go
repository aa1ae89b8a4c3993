package github

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits GitHub enforces on what entrasync writes.
const (
	// CommentLimit is the longest comment or issue body GitHub accepts:
	// longer ones are refused with 422 "body is too long (maximum is 65536
	// characters)". Lengths here are counted in bytes, which is never less
	// than GitHub's count of characters.
	CommentLimit = 65536
	// SummaryLimit is the most a step may write to its job summary
	// ($GITHUB_STEP_SUMMARY): GitHub drops larger summaries with an error.
	SummaryLimit = 1 << 20
)

// Marker is the hidden first line of a comment or issue that entrasync
// keeps for one kind ("plan", "apply", "drift") and configuration
// directory. The directory is encoded so that no name can end the HTML
// comment early or look like another directory's marker.
func Marker(kind, dir string) string {
	return "<!-- entrasync:" + kind + " dir=" + markerSafe(dir) + " -->"
}

func markerSafe(s string) string {
	var b strings.Builder
	prev := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		plain := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '/' || c == '-'
		if !plain || (c == '-' && prev == '-') {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
		prev = c
	}
	return b.String()
}

// hasMarker reports whether body starts with marker as its own line.
func hasMarker(body, marker string) bool {
	first, _, _ := strings.Cut(strings.TrimLeft(body, "\ufeff"), "\n")
	return strings.TrimRight(first, "\r ") == marker
}

// Fenced puts text in a code block whose fence is longer than any run of
// backticks inside it, so no line of the text (an error message quoting a
// display name, say) can close the block and be rendered as Markdown.
func Fenced(text string) string {
	longest, run := 0, 0
	for _, r := range text {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	return fence + "text\n" + strings.TrimRight(text, "\n") + "\n" + fence
}

// Fit returns head followed by content, cut to at most limit bytes. A cut
// falls at a line end, closes the code fence and <details> blocks the kept
// part left open, and ends with a note saying how much was kept and where
// the rest is (pointer, e.g. a link to the plan artifact).
func Fit(head, content string, limit int, pointer string) string {
	if len(head)+len(content) <= limit {
		return head + content
	}
	total := utf8.RuneCountInString(content)
	note := func(kept string) string {
		return fmt.Sprintf("\n---\n✂️ **Truncated**: the first %d of %d characters are shown. %s\n", utf8.RuneCountInString(kept), total, pointer)
	}
	kept := content[:max(0, min(len(content), limit-len(head)-len(note(content))))]
	for {
		// Keep whole lines only; drop lines until what closes them fits too.
		if i := strings.LastIndexByte(kept, '\n'); i >= 0 {
			kept = kept[:i+1]
		} else {
			kept = ""
		}
		closing := closeOpen(kept)
		if kept == "" || len(head)+len(kept)+len(closing)+len(note(kept)) <= limit {
			return head + kept + closing + note(kept)
		}
		kept = kept[:len(kept)-1]
	}
}

// closeOpen returns what closes the code fence and the <details> blocks
// that md leaves open.
func closeOpen(md string) string {
	fence := ""
	details := 0
	for _, line := range strings.Split(md, "\n") {
		t := strings.TrimSpace(line)
		if fence != "" {
			if strings.HasPrefix(t, fence) && strings.Trim(t, "`~") == "" {
				fence = ""
			}
			continue
		}
		if f := fenceOf(t); f != "" {
			fence = f
			continue
		}
		details += strings.Count(t, "<details") - strings.Count(t, "</details>")
	}
	var b strings.Builder
	if fence != "" {
		b.WriteString(fence + "\n")
	}
	for ; details > 0; details-- {
		b.WriteString("</details>\n")
	}
	return b.String()
}

// fenceOf returns the fence a line opens (three or more backticks or
// tildes), or "".
func fenceOf(line string) string {
	for _, c := range []byte{'`', '~'} {
		n := 0
		for n < len(line) && line[n] == c {
			n++
		}
		if n >= 3 {
			return line[:n]
		}
	}
	return ""
}
