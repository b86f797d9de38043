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
package shell
