package testenv

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/pkg/errors"
)

// Buildkitd is a buildkitd started by [Bed.StartBuildkitd].
type Buildkitd struct {
	// Addr is its address, as BUILDKIT_HOST takes it.
	Addr string
	bed  *Bed
	dir  string
	cmd  *exec.Cmd
	log  *os.File
}

// StartBuildkitd starts a buildkitd configured as the bed's, with an empty
// state directory of its own. Stop stops it and removes its state.
func (b *Bed) StartBuildkitd() (*Buildkitd, error) {
	dir, err := os.MkdirTemp(b.Dir, "fresh-")
	if err != nil {
		return nil, err
	}
	d := &Buildkitd{bed: b, dir: dir, Addr: "unix://" + filepath.Join(dir, "buildkitd.sock")}
	conf, err := os.ReadFile(filepath.Join(b.Dir, "buildkitd.toml"))
	if err != nil {
		d.Stop()
		return nil, err
	}
	text := strings.Replace(string(conf), filepath.Join(b.Dir, "buildkitd"), filepath.Join(dir, "root"), 1)
	text = strings.Replace(text, "unix://"+filepath.Join(b.Dir, "run", "buildkitd.sock"), d.Addr, 1)
	if err := os.WriteFile(filepath.Join(dir, "buildkitd.toml"), []byte(text), 0o644); err != nil {
		d.Stop()
		return nil, err
	}
	if err := d.start(); err != nil {
		d.Stop()
		return nil, err
	}
	return d, nil
}

// Fork stops d, copies its state to a new buildkitd and starts both: two
// builders with the same layers and cache mounts, so that one state can be
// built on twice. Stop stops each.
func (d *Buildkitd) Fork() (*Buildkitd, error) {
	d.halt()
	dir, err := os.MkdirTemp(d.bed.Dir, "fork-")
	if err != nil {
		return nil, err
	}
	f := &Buildkitd{bed: d.bed, dir: dir, Addr: "unix://" + filepath.Join(dir, "buildkitd.sock")}
	conf, err := os.ReadFile(filepath.Join(d.dir, "buildkitd.toml"))
	if err == nil {
		text := strings.ReplaceAll(string(conf), d.dir+"/", dir+"/")
		err = os.WriteFile(filepath.Join(dir, "buildkitd.toml"), []byte(text), 0o644)
	}
	if err == nil {
		// cp -a keeps what overlayfs snapshots hold: hard links, device
		// nodes (whiteouts) and extended attributes (opaque directories).
		var out []byte
		out, err = exec.Command("cp", "-a", filepath.Join(d.dir, "root"), filepath.Join(dir, "root")).CombinedOutput()
		if err != nil {
			err = errors.Errorf("copying buildkitd state: %v: %s", err, out)
		}
	}
	if err == nil {
		err = f.start()
	}
	if err2 := d.start(); err == nil {
		err = err2
	}
	if err != nil {
		f.Stop()
		return nil, err
	}
	return f, nil
}

// start runs buildkitd on d's config and waits until it answers.
func (d *Buildkitd) start() error {
	var err error
	if d.log, err = os.OpenFile(filepath.Join(d.dir, "buildkitd.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
		return err
	}
	d.cmd = exec.Command(filepath.Join(d.bed.Dir, "bin", "buildkitd"), "--config", filepath.Join(d.dir, "buildkitd.toml"))
	d.cmd.Env, d.cmd.Stdout, d.cmd.Stderr = d.bed.Env, d.log, d.log
	if err := d.cmd.Start(); err != nil {
		d.cmd = nil
		return err
	}
	for i := 0; i < 100; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := client.New(ctx, d.Addr)
		if err == nil {
			_, err = c.ListWorkers(ctx)
			c.Close()
		}
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	logText, _ := os.ReadFile(d.log.Name())
	return errors.Errorf("buildkitd did not come up:\n%s", tail(string(logText), 20))
}

// halt stops d's process and keeps its state.
func (d *Buildkitd) halt() {
	if d.cmd != nil {
		_ = d.cmd.Process.Signal(os.Interrupt)
		_, _ = d.cmd.Process.Wait()
		d.cmd = nil
	}
	if d.log != nil {
		d.log.Close()
		d.log = nil
	}
}

// Stop stops the buildkitd and removes its state.
func (d *Buildkitd) Stop() {
	d.halt()
	_ = os.RemoveAll(d.dir)
}
