package github

import (
	"strings"
	"testing"
)

func TestMarker(t *testing.T) {
	for _, tc := range []struct{ kind, dir, want string }{
		{"plan", "examples/contoso", "<!-- entrasync:plan dir=examples/contoso -->"},
		{"plan", "config-prod", "<!-- entrasync:plan dir=config-prod -->"},
		// "--" would end the HTML comment early in some parsers, ">" in all.
		{"plan", "a-->b c", "<!-- entrasync:plan dir=a-%2D%3Eb%20c -->"},
		{"drift", ".", "<!-- entrasync:drift dir=. -->"},
	} {
		if got := Marker(tc.kind, tc.dir); got != tc.want {
			t.Errorf("Marker(%q, %q) = %q, want %q", tc.kind, tc.dir, got, tc.want)
		}
	}
	if hasMarker(Marker("plan", "a")+"\n", Marker("plan", "a/b")) || !hasMarker(Marker("plan", "a")+"\r\nx", Marker("plan", "a")) {
		t.Error("hasMarker must match the whole first line")
	}
}

func TestFenced(t *testing.T) {
	got := Fenced("name: ```` evil\n")
	if !strings.HasPrefix(got, "`````text\n") || !strings.HasSuffix(got, "\n`````") {
		t.Fatalf("fence must outrun the text's backticks: %q", got)
	}
}

func TestFit(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		limit         int
		want          []string // substrings
		notWant       []string
	}{
		{name: "fits", content: "a\nb\n", limit: 100, want: []string{"H\na\nb\n"}, notWant: []string{"Truncated"}},
		{name: "cut at a line", content: strings.Repeat("0123456789\n", 100), limit: 400,
			want: []string{"Truncated", "see the artifact"}},
		{name: "open fence closed", content: "```diff\n" + strings.Repeat("+ member\n", 200), limit: 500,
			want: []string{"+ member\n```\n\n---"}},
		{name: "nested details closed", content: "<details><summary>a</summary>\n<details><summary>b</summary>\n" + strings.Repeat("line\n", 300), limit: 600,
			want: []string{"line\n</details>\n</details>\n"}},
		{name: "closed fence not reopened", content: "```\nx\n```\n" + strings.Repeat("y\n", 400), limit: 300,
			notWant: []string{"y\n```\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Fit("H\n", tc.content, tc.limit, "see the artifact")
			if len(got) > tc.limit {
				t.Errorf("%d bytes over the limit %d", len(got), tc.limit)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in\n%s", w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("unexpected %q in\n%s", w, got)
				}
			}
		})
	}
}

func TestReportBody(t *testing.T) {
	env := Env{ServerURL: "https://github.com", Repository: "o/r", RunID: "9", SHA: "0123456789abcdef"}
	failed := Report{Kind: "plan", Dir: "cfg`x", ExitCode: 1, Log: "groups.cue:3:5: unknown user `bob```", Env: env}.Body(CommentLimit)
	for _, want := range []string{"<!-- entrasync:plan dir=cfg%60x -->\n", "❌ entrasync plan failed for ``cfg`x``", "````text\ngroups.cue:3:5", "[workflow run](https://github.com/o/r/actions/runs/9)", "commit `0123456`"} {
		if !strings.Contains(failed, want) {
			t.Errorf("failed report lacks %q:\n%s", want, failed)
		}
	}
	ok := Report{Kind: "plan", Dir: "cfg", ExitCode: 0, Sections: []string{"### entrasync plan\n\nNo changes."}, Log: "warning: x", Env: env}.Body(CommentLimit)
	if strings.Contains(ok, "failed") || !strings.Contains(ok, "<details><summary>Warnings</summary>") {
		t.Errorf("successful report:\n%s", ok)
	}
}
