package builder

import "testing"

func TestSaysCachefront(t *testing.T) {
	for dt, want := range map[string]bool{
		"# cachefront: off\n":       true,
		"# CacheFront: OFF":         true,
		"RUN echo CACHEFRONT":       true,
		"xcachefront":               true,
		"cachefront":                true,
		"ff of cachefroncachefront": true,
		"f":                         false,
		"F cachefrong":              false,
		"FROM debian\nRUN apt-get":  false,
		"# cachefron":               false,
		"":                          false,
		"# cache front: off\n":      false,
		"# cachefronT":              true,
		"# c\u0430chefront: off\n":  false, // a Cyrillic a
	} {
		if got := saysCachefront([]byte(dt)); got != want {
			t.Errorf("saysCachefront(%q) = %v, want %v", dt, got, want)
		}
	}
}
