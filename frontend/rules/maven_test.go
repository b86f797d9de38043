package rules

import "testing"

func TestMaven(t *testing.T) {
	t.Parallel()
	const why = "nothing is a pure cache, nothing is mounted"
	runCompiled(t, []compiledCase{
		{name: "mvn package", script: "mvn -B -DskipTests package", managers: []string{"maven"}, note: why},
		{name: "the wrapper", script: "./mvnw dependency:go-offline -B", managers: []string{"maven"}, note: why},
		{name: "mvnd", script: "mvnd clean install", managers: []string{"maven"}, note: why},
		{name: "purge-local-repository is left as written", script: "mvn install && mvn dependency:purge-local-repository", managers: []string{"maven"}, note: why},
		{name: "version only", script: "mvn -v && ./mvnw --version"},
		{name: "no goal", script: "mvn"},
	})
}
