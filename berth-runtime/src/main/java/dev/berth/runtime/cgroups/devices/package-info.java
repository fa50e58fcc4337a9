/**
 * Device access control on cgroup v2, where there is no devices.allow: the spec's device rules are
 * run through cgroup v1's rule semantics ({@link
 * dev.berth.runtime.cgroups.devices.DeviceEmulator}), the resulting policy is compiled into a
 * BPF_PROG_TYPE_CGROUP_DEVICE program ({@link dev.berth.runtime.cgroups.devices.DeviceProgram}),
 * and the program replaces the one attached to the container's cgroup ({@link
 * dev.berth.runtime.cgroups.devices.DeviceFilter}). So a container may open the same devices
 * whichever cgroup version its host runs.
 */
package dev.berth.runtime.cgroups.devices;
