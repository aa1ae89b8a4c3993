// Package github is entrasync's side of a GitHub Actions workflow: it reads
// the run's environment (the repository, the event, the job summary file),
// and keeps one pull-request comment per configuration directory and one
// drift issue up to date through GitHub's REST API (google/go-github).
//
// What it writes is found again by a hidden marker line AND by its author:
// a comment or issue carrying the marker but written by someone else is
// never edited, so nobody can make the workflow overwrite their text, and
// a forged "plan" comment stands next to the real one rather than
// replacing it.
//
// Bodies stay under GitHub's limits: a plan longer than a comment allows
// is cut at a line, open code fences and <details> blocks are closed, and
// a pointer names the artifact that holds the whole plan.
package github
