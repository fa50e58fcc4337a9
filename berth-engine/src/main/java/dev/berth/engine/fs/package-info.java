/**
 * Files of containers, as docker cp, export and commit reach them: paths resolved inside a
 * container's root filesystem and never out of it ({@link dev.berth.engine.fs.ContainerFiles}),
 * trees walked by fds and written as tar ({@code TreeTar}, {@code TarWriter}), tars extracted with
 * berth-image's hostile-layer unpacker, docker cp's rules for where a copy lands ({@link
 * dev.berth.engine.fs.CopyPlan}) and the host's side of a copy ({@link
 * dev.berth.engine.fs.HostFiles}).
 */
package dev.berth.engine.fs;
