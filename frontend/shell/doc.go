// Package shell finds the commands a shell script runs, so that the
// frontend can recognise package managers in RUN steps and rewrite them.
//
// Scripts are parsed into a real syntax tree with mvdan.cc/sh/v3 (bash
// variant, which also accepts POSIX sh) rather than matched with regular
// expressions. Shell is too irregular for patterns: "apt-get install" may
// sit in a quoted echo argument, in a heredoc that is only data, behind
// "sudo -u app", after "set -eux;", across a line continuation, or inside
// "$(...)". Only the tree tells a command from text that merely looks like
// one, and only the tree gives exact byte offsets to rewrite a single word
// without disturbing the rest of the script.
//
// Wrappers such as sudo, env, nice, timeout, xargs, gosu or su-exec are
// looked through: the command they run is reported, with the user and the
// environment they set, and the wrapper itself is not.
//
// Some commands live in a string that another shell runs: "sh -c '...'",
// "su app -c '...'", "eval '...'", or a heredoc fed to "bash <<EOF". Those
// strings are parsed too and their commands are marked Nested. Their
// offsets would point into the inner string, after quote removal, not into
// the script the caller holds, so they are set to -1 and such commands must
// be used for detection only, never spliced.
//
// Limits callers should know:
//
//   - Start and End cover the simple command itself. Redirections written
//     after its last word are outside; one written between its words is
//     inside, and if that is a heredoc operator, replacing the whole
//     command leaves the heredoc body behind.
//   - An expansion in a string run by an inner shell is replaced by a
//     placeholder expansion before parsing, so the inner words it lands in
//     are reported as not Literal, and $(...) in it is reported once, in
//     the outer script.
//   - Only a heredoc or here-string on the shell's own statement is read
//     as its script: in "cat <<EOF | sh" or "curl ... | sh" the shell is
//     reported as a command of its own, as is a shell given a script file.
//   - A leading ~ and $'...' with escapes make a word non-literal; globs
//     and braces stay literal text.
//   - Env is what the script sets; sudo's env_reset is not modelled.
package shell
