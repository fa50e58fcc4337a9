/**
 * Pod sandboxes, the CRI's unit: a set of namespaces (network, ipc, uts; pid when the pod shares
 * one) made and pinned without a process, a CNI attachment, DNS and host files, a cgroup parent,
 * and the ordinary engine containers that join them. {@link dev.berth.engine.pod.Pods} is the
 * library the CRI's RuntimeService is a front door of.
 */
package dev.berth.engine.pod;
