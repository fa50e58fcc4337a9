/** Resource usage of containers as docker's {@code stats} computes and shows it. */
package dev.berth.engine.stats;
