// Package rules knows package managers: which commands download, where each
// keeps its download cache, how it must be shared, what settings keep the
// cache for one step only, and which cleanups would empty it.
//
// A [Rule] looks at one RUN [Step] (its commands, environment and user) and
// adds to a [Plan]: cache mounts, transient environment, transient files and
// script edits. Rules never touch LLB; the frontend applies plans. Each
// manager has a file of its own.
//
// Rules mount pure download caches only, so the image is the one upstream
// builds minus the caches. Where a tool's default cache lives inside the
// image (~/.cache/pip, ~/.npm, ~/.cache/go-build), the cache moves for that
// step to a mount under [CacheRoot] through the tool's own setting, so that a
// cleanup the Dockerfile runs on the default path still cleans the image and
// never the cache.
package rules
