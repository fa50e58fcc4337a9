/**
 * Name resolution on user networks, podman's aardvark-dns in Java: the DNS codec ({@link
 * dev.berth.engine.network.dns.DnsMessage}), the responder serving every DNS network of a store on
 * its gateway ({@link dev.berth.engine.network.dns.DnsResponder}), the records the engine publishes
 * per network ({@link dev.berth.engine.network.dns.NetworkRecords}) and the engine's side of the
 * responder's life ({@link dev.berth.engine.network.dns.ResponderControl}): started by the first
 * container to need it, detached for the CLI or in-process for an embedded engine, one per store (a
 * lock), reloaded on every change, gone with the last container.
 */
package dev.berth.engine.network.dns;
