package rules

import "testing"

// initScript is what every run of Gradle is given: the GRADLE_MIRROR
// setting's init script, when the step has the setting.
const initScript = " ${cachefront_gradle_init:+--init-script=$cachefront_gradle_init}"

func gradleMount(home string) map[string]Mount {
	return map[string]Mount{home + "/caches/modules-2": {ID: "cachefront/gradle/modules-2", Sharing: Locked, Owner: "0"}}
}

func TestGradle(t *testing.T) {
	t.Parallel()
	runCompiled(t, []compiledCase{
		{
			name: "gradle build as root", script: "gradle build --no-daemon -x test",
			managers: []string{"gradle"}, mounts: gradleMount("/root/.gradle"),
			edited: "gradle" + initScript + " build --no-daemon -x test",
		},
		{
			name: "the wrapper keeps its distribution in the image", script: "./gradlew bootJar --no-daemon",
			env:      map[string]string{"GRADLE_USER_HOME": "/cache/gradle"},
			managers: []string{"gradle"}, mounts: gradleMount("/cache/gradle"), note: "wrapper/dists",
			edited: "./gradlew" + initScript + " bootJar --no-daemon",
		},
		{
			name: "-g names the user home", script: "gradle -g /opt/gradle-home assemble",
			managers: []string{"gradle"}, mounts: gradleMount("/opt/gradle-home"),
			edited: "gradle" + initScript + " -g /opt/gradle-home assemble",
		},
		{
			name: "--gradle-user-home= on the command line", script: "gradle --gradle-user-home=/gh assemble",
			managers: []string{"gradle"}, mounts: gradleMount("/gh"),
			edited: "gradle" + initScript + " --gradle-user-home=/gh assemble",
		},
		{
			name: "gradle.user.home in GRADLE_OPTS", script: "gradle assemble",
			env:      map[string]string{"GRADLE_OPTS": "-Dgradle.user.home=/x -Dorg.gradle.daemon=false"},
			managers: []string{"gradle"}, note: "set in GRADLE_OPTS",
			edited: "gradle" + initScript + " assemble",
		},
		{
			name: "an rm of the caches spares the mount", script: "gradle build && rm -rf ~/.gradle/caches",
			managers: []string{"gradle"}, mounts: gradleMount("/root/.gradle"),
			edited:  "gradle" + initScript + " build && " + spareText("rm -rf ~/.gradle/caches", "/root/.gradle/caches/modules-2"),
			neutral: []string{"rm ~/.gradle/caches"},
		},
		{
			name: "offline builds read the image", script: "gradle build --offline",
			managers: []string{"gradle"}, note: "--offline",
			edited: "gradle" + initScript + " build --offline",
		},
		{
			name: "a non-root user is left alone", script: "gradle build", user: "gradle",
			env:      map[string]string{"GRADLE_USER_HOME": "/home/gradle/.gradle"},
			managers: []string{"gradle"}, note: "root-owned directories",
			edited: "gradle" + initScript + " build",
		},
		{
			name: "a non-root user's home is unknown", script: "gradle build", user: "gradle",
			managers: []string{"gradle"}, note: "GRADLE_USER_HOME is unknown for user gradle",
			edited: "gradle" + initScript + " build",
		},
		{
			name: "version and daemon control run no build", script: "gradle --version && ./gradlew --stop",
		},
		{
			name: "gradle in a nested shell gets no mirror", script: "sh -c 'gradle build'",
			managers: []string{"gradle"}, mounts: gradleMount("/root/.gradle"),
			note: "gradle in a nested shell or an exec form does not get the GRADLE_MIRROR mirror",
		},
	})
}
