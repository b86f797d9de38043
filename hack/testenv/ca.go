package testenv

import "regexp"

// CABundle is the host's CA bundle. Outbound HTTPS here passes a
// TLS-intercepting proxy whose CA is in it; the bed's images do not carry
// it, so every build that fetches over HTTPS needs it handed in, as users
// behind such a proxy do.
const CABundle = "/etc/ssl/certs/ca-certificates.crt"

// CASecret is the id of cachefront's CA setting: every build through
// [Solve] and [Bed.Buildx] gets the host bundle under it.
const CASecret = "cachefront-ca-cert"

var runLine = regexp.MustCompile(`(?im)^(\s*RUN\s+)`)

// WithCAMount returns dockerfile with the host bundle mounted over the
// image's on every RUN, from the CASecret secret: what a user of upstream's
// frontend writes by hand to build behind the proxy. Builds that cachefront
// does not rewrite (upstream's, opted-out steps) use it. The mount leaves
// nothing in the image, but a step that installs ca-certificates fails on
// it (the package replaces the bundle): use it where HTTPS is needed only.
func WithCAMount(dockerfile string) string {
	return runLine.ReplaceAllString(dockerfile, "${1}--mount=type=secret,id="+CASecret+",target="+CABundle+" ")
}

// withCAFlag adds to `buildx build` args the flag that hands the host
// bundle to the build.
func withCAFlag(args []string) []string {
	if len(args) == 0 || args[0] != "build" {
		return args
	}
	return append([]string{"build", "--secret=id=" + CASecret + ",src=" + CABundle}, args[1:]...)
}
