package rules

import "testing"

var (
	nugetMount = map[string]Mount{"/run/cachefront/nuget-http": {ID: "cachefront/nuget-http", Sharing: Locked, Owner: "0"}}
	nugetEnv   = map[string]string{"NUGET_HTTP_CACHE_PATH": "/run/cachefront/nuget-http"}
)

const globalPackages = "global packages folder"

func TestDotnet(t *testing.T) {
	t.Parallel()
	runCompiled(t, []compiledCase{
		{
			name: "dotnet restore", script: "dotnet restore -r linux-x64",
			managers: []string{"dotnet"}, mounts: nugetMount, env2: nugetEnv, note: globalPackages,
		},
		{
			name: "publish --no-restore restores nothing", script: "dotnet publish -c Release -o /app --no-restore",
		},
		{
			name: "--no-http-cache and --no-cache are removed", script: "dotnet restore --no-http-cache && dotnet build --no-cache",
			managers: []string{"dotnet"}, mounts: nugetMount, env2: nugetEnv, note: globalPackages,
			edited: "dotnet restore  && dotnet build ", neutral: []string{"dotnet --no-http-cache", "dotnet --no-cache"},
		},
		{
			name: "tool install's --no-cache keeps packages out of the image and stays", script: "dotnet tool install --global --no-cache dotnet-ef",
			managers: []string{"dotnet"}, mounts: nugetMount, env2: nugetEnv, note: globalPackages,
		},
		{
			name: "locals all --clear still clears the image's folders", script: "dotnet publish -o /app && sudo dotnet nuget locals all --clear",
			managers: []string{"dotnet"}, mounts: nugetMount, env2: nugetEnv, note: globalPackages,
			edited:  "dotnet publish -o /app && sudo dotnet nuget locals global-packages --clear && sudo dotnet nuget locals temp --clear && sudo dotnet nuget locals plugins-cache --clear",
			neutral: []string{"dotnet nuget locals all --clear"},
		},
		{
			name: "locals http-cache --clear", script: "dotnet restore; dotnet nuget locals http-cache -c",
			managers: []string{"dotnet"}, mounts: nugetMount, env2: nugetEnv, note: globalPackages,
			edited: "dotnet restore; true", neutral: []string{"dotnet nuget locals http-cache --clear"},
		},
		{
			name: "NUGET_HTTP_CACHE_PATH set by the image, a non-root user", script: "dotnet build", user: "app",
			env:      map[string]string{"NUGET_HTTP_CACHE_PATH": "/nuget/http"},
			managers: []string{"dotnet"}, mounts: map[string]Mount{"/nuget/http": {ID: "cachefront/nuget-http/user-app", Sharing: Locked, Owner: "app"}},
			note: globalPackages,
		},
		{
			name: "nuget restore", script: "nuget restore App.sln",
			managers: []string{"dotnet"}, mounts: nugetMount, env2: nugetEnv, note: globalPackages,
		},
		{
			name: "running the app downloads nothing", script: "dotnet --info && dotnet App.dll --version",
		},
	})
}

func TestDotnetOwnNugetMount(t *testing.T) {
	t.Parallel()
	s := step(t, "dotnet restore", nil, "")
	s.CacheMounts = []string{"/root/.nuget"}
	p := checkedRun(t, s, All(), nil)
	if len(p.Mounts) != 0 || len(p.Env) != 0 {
		t.Fatalf("a step with its own ~/.nuget mount got %v %v", p.Mounts, p.Env)
	}
}
