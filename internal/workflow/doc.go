// Package workflow holds entrasync's rules for GitHub Actions workflows and
// a small runner that executes a job's shell steps on this machine.
//
// The rules run inside actionlint (github.com/rhysd/actionlint, whose
// parser and checks this package builds on) and refuse what makes a
// workflow unsafe in ways actionlint allows:
//
//   - an expression interpolated into a run: script (${{ … }} is pasted
//     into the shell source before it runs, so a branch name or a title
//     can become a command; values go through env: instead);
//   - a pipe in a script whose shell does not fail on a failing pipe
//     stage (GitHub's default shell is "bash -e", without pipefail, so
//     "entrasync apply | tee" is green when apply fails);
//   - the pull_request_target event, which runs with the base
//     repository's token and secrets on a fork's code;
//   - an action not pinned to a full commit hash.
//
// The runner exists for tests: it runs a job's run: steps with bash as
// GitHub would (the same shell flags, GITHUB_OUTPUT, GITHUB_ENV,
// GITHUB_PATH and step outputs), skipping uses: steps, so a testscript can
// run the apply job's very commands against the emulator. It is not
// linked into the entrasync binary.
package workflow
