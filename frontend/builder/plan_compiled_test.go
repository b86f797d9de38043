package builder

import (
	"context"
	"strings"
	"testing"

	"github.com/cachefront/cachefront/frontend/rules"
	"github.com/moby/buildkit/solver/pb"
	"github.com/stretchr/testify/require"
)

// compiledStep is what a RUN step of a compiled language, JVM, .NET or
// version manager must look like in the plan.
type compiledStep struct {
	line        int
	managers    []string
	mounts      map[string]rules.Mount // by target: ID, Sharing and Owner checked
	env         []string
	neutralized []string
	note        string // a substring of the notes, when not ""
}

func checkCompiledPlan(t *testing.T, dockerfile string, want []compiledStep) {
	t.Helper()
	p, err := MakePlan(context.Background(), []byte(dockerfile), PlanOpt{})
	require.NoError(t, err)
	steps := map[int]*StepReport{}
	for _, s := range p.Steps {
		steps[s.Line] = s
	}
	require.Len(t, steps, len(want), "RUN steps")
	for _, w := range want {
		s, ok := steps[w.line]
		require.True(t, ok, "no RUN step at line %d", w.line)
		require.Equal(t, w.managers, s.Managers, "line %d", w.line)
		require.Len(t, s.Mounts, len(w.mounts), "line %d: %v", w.line, s.Mounts)
		for _, m := range s.Mounts {
			wm, ok := w.mounts[m.Target]
			require.True(t, ok, "line %d: unexpected mount %s", w.line, m.Target)
			require.Equal(t, wm.ID, m.ID, "line %d", w.line)
			require.Equal(t, wm.Sharing, m.Sharing, "line %d", w.line)
			require.Equal(t, wm.Owner, m.Owner, "line %d", w.line)
		}
		require.Equal(t, orEmpty(w.env), s.Env, "line %d", w.line)
		require.Equal(t, orEmpty(w.neutralized), s.Neutralized, "line %d", w.line)
		if w.note != "" {
			require.Contains(t, joined(s.Notes), w.note, "line %d", w.line)
		}
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func TestPlanCompiled(t *testing.T) {
	t.Parallel()
	locked := func(id, owner string) rules.Mount {
		return rules.Mount{ID: id, Sharing: rules.Locked, Owner: owner}
	}
	cargo := map[string]rules.Mount{
		"/usr/local/cargo/registry/index": locked("cachefront/cargo/registry/index", "0"),
		"/usr/local/cargo/registry/cache": locked("cachefront/cargo/registry/cache", "0"),
		"/usr/local/cargo/git/db":         locked("cachefront/cargo/git/db", "0"),
	}
	cases := []struct {
		name       string
		dockerfile string
		steps      []compiledStep
	}{
		{
			name: "rust multi-stage with xx-cargo and cargo-chef",
			dockerfile: `FROM --platform=$BUILDPLATFORM tonistiigi/xx AS xx
FROM --platform=$BUILDPLATFORM rust:1.89-bookworm AS chef
ENV CARGO_HOME=/usr/local/cargo
RUN cargo install cargo-chef --locked && rm -rf $CARGO_HOME/registry/
WORKDIR /src

FROM chef AS build
COPY --from=xx / /
ARG TARGETPLATFORM
COPY recipe.json .
RUN xx-cargo chef cook --release --recipe-path recipe.json
COPY . .
RUN xx-cargo build --release && cp target/$(xx-cargo --print-target-triple)/release/app /app

FROM chef AS offline
COPY . .
RUN cargo fetch
RUN cargo build --release --offline

FROM debian:bookworm-slim
COPY --from=build /app /usr/local/bin/app
COPY --from=offline /src/target/release/app /usr/local/bin/app2
`,
			steps: []compiledStep{
				{line: 4, managers: []string{"cargo"}, mounts: cargo, neutralized: []string{"rm $CARGO_HOME/registry/"}},
				{line: 11, managers: []string{"cargo"}, mounts: cargo},
				{line: 13, managers: []string{"cargo"}, mounts: cargo},
				{line: 17, managers: []string{"cargo"}, note: "`cargo fetch` fills CARGO_HOME"},
				{line: 18, managers: []string{"cargo"}, note: "runs offline"},
			},
		},
		{
			name: "ruby with bundler and USER app",
			dockerfile: `FROM ruby:3.4-slim
ENV GEM_HOME=/usr/local/bundle BUNDLE_APP_CONFIG=/usr/local/bundle
RUN useradd --create-home app
WORKDIR /app
COPY --chown=app Gemfile Gemfile.lock ./
USER app
RUN bundle install --jobs 4 && rm -rf /usr/local/bundle/cache/*.gem
COPY --chown=app . .
CMD ["bundle", "exec", "puma"]
`,
			steps: []compiledStep{
				{line: 3, managers: []string{}},
				{
					line: 7, managers: []string{"gem"},
					mounts: map[string]rules.Mount{
						"/usr/local/bundle/cache": locked("cachefront/gem/user-app", "app"),
						"/run/cachefront/bundler": locked("cachefront/bundler/user-app", "app"),
					},
					env: []string{"BUNDLE_USER_CACHE"}, neutralized: []string{"rm /usr/local/bundle/cache/*.gem"},
				},
			},
		},
		{
			name: "php with composer from the composer image",
			dockerfile: `FROM composer:2 AS composer
FROM php:8.3-fpm-alpine
COPY --from=composer /usr/bin/composer /usr/bin/composer
WORKDIR /var/www/html
COPY composer.json composer.lock ./
RUN composer install --no-dev --no-scripts --no-cache --prefer-dist && composer clear-cache
COPY . .
USER www-data
RUN composer dump-autoload --optimize --classmap-authoritative
`,
			steps: []compiledStep{
				{
					line: 6, managers: []string{"composer"},
					mounts:      map[string]rules.Mount{"/run/cachefront/composer": locked("cachefront/composer", "0")},
					env:         []string{"COMPOSER_CACHE_DIR"},
					neutralized: []string{"composer clear-cache", "composer --no-cache"},
				},
				{line: 9, managers: []string{}},
			},
		},
		{
			name: "maven multi-stage",
			dockerfile: `FROM maven:3.9-eclipse-temurin-21 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B dependency:go-offline
COPY src src
RUN mvn -B -o package -DskipTests

FROM eclipse-temurin:21-jre
COPY --from=build /src/target/app.jar /app.jar
ENTRYPOINT ["java", "-jar", "/app.jar"]
`,
			steps: []compiledStep{
				{line: 4, managers: []string{"maven"}, note: "nothing is mounted"},
				{line: 6, managers: []string{"maven"}, note: "nothing is mounted"},
			},
		},
		{
			name: "gradle multi-stage with the wrapper",
			dockerfile: `FROM gradle:8.10-jdk21 AS build
WORKDIR /home/gradle/src
COPY --chown=gradle:gradle . .
RUN ./gradlew bootJar --no-daemon && rm -rf /root/.gradle/caches/

FROM eclipse-temurin:21-jre
COPY --from=build /home/gradle/src/build/libs/app.jar /app.jar
`,
			steps: []compiledStep{
				{
					line: 4, managers: []string{"gradle"},
					mounts:      map[string]rules.Mount{"/root/.gradle/caches/modules-2": locked("cachefront/gradle/modules-2", "0")},
					neutralized: []string{"rm /root/.gradle/caches/"}, note: "wrapper/dists",
				},
			},
		},
		{
			name: "dotnet sdk to runtime",
			dockerfile: `FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:8.0 AS build
ARG TARGETARCH
WORKDIR /source
COPY *.csproj .
RUN dotnet restore -a $TARGETARCH
COPY . .
RUN dotnet publish -a $TARGETARCH --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:8.0
WORKDIR /app
COPY --from=build /app .
ENTRYPOINT ["./aspnetapp"]
`,
			steps: []compiledStep{
				{
					line: 5, managers: []string{"dotnet"},
					mounts: map[string]rules.Mount{"/run/cachefront/nuget-http": locked("cachefront/nuget-http", "0")},
					env:    []string{"NUGET_HTTP_CACHE_PATH"}, note: "global packages folder",
				},
				{line: 7, managers: []string{}},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkCompiledPlan(t, tc.dockerfile, tc.steps)
		})
	}
}

// The rewritten LLB of a non-root Bundler step and a cargo step: cache
// mounts with their sharing, a user-owned cache for app, the transient
// variable in the exec alone, the rm rewritten, and a graph BuildKit loads.
func TestRewriteCompiledLLB(t *testing.T) {
	t.Parallel()
	df := `FROM ruby:3.4-slim AS ruby
ENV GEM_HOME=/usr/local/bundle
USER app
RUN bundle install && rm -rf /usr/local/bundle/cache/*.gem

FROM rust:1.89 AS rust
ENV CARGO_HOME=/usr/local/cargo
RUN cargo install ripgrep && rm -rf $CARGO_HOME/registry

FROM scratch
COPY --from=ruby /usr/local/bundle /bundle
COPY --from=rust /usr/local/cargo/bin /bin
`
	ops, reports := rewritten(t, df, Config{})
	require.Len(t, reports, 2)
	found := map[string]*pb.Mount{}
	scripts := map[string]string{}
	for _, op := range ops {
		exec := op.GetExec()
		if exec == nil {
			continue
		}
		script := strings.Join(exec.Meta.Args, " ")
		for _, m := range exec.Mounts {
			if m.MountType == pb.MountType_CACHE {
				found[m.Dest] = m
				scripts[m.Dest] = script
			}
		}
		if strings.Contains(script, "bundle install") {
			require.Contains(t, exec.Meta.Env, "BUNDLE_USER_CACHE=/run/cachefront/bundler")
		}
	}
	for _, dest := range []string{
		"/usr/local/bundle/cache", "/run/cachefront/bundler",
		"/usr/local/cargo/registry/index", "/usr/local/cargo/registry/cache", "/usr/local/cargo/git/db",
	} {
		m, ok := found[dest]
		require.True(t, ok, "no cache mount at %s", dest)
		require.Equal(t, pb.CacheSharingOpt_LOCKED, m.CacheOpt.Sharing, dest)
		require.Contains(t, scripts[dest], "cachefront_s=0", "the rm in the step of %s is rewritten", dest)
	}
	// app's caches start as a directory app owns; root's are plain.
	require.NotEqual(t, int64(pb.Empty), found["/usr/local/bundle/cache"].Input)
	require.Equal(t, "/cache", found["/usr/local/bundle/cache"].Selector)
	require.Equal(t, int64(pb.Empty), found["/usr/local/cargo/git/db"].Input)
}
