/**
 * The CRI streaming server: the URLs the Exec, Attach and PortForward RPCs return, and the sessions
 * behind them over SPDY/3.1 and WebSocket, as kubelet's streaming server serves them to kubectl,
 * crictl and the API server.
 *
 * <p>{@link dev.berth.api.cri.streaming.StreamingServer} holds the one-use tokens and speaks the
 * protocols; {@link dev.berth.api.cri.streaming.StreamingRuntime} is what it runs once a client's
 * streams are there, and {@link dev.berth.api.cri.streaming.EngineStreamingRuntime} runs it on
 * berth's engine. The request records carry what the CRI messages carry, so this package needs no
 * generated protocol types.
 */
package dev.berth.api.cri.streaming;
