package org.caravan.testing;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import com.sun.tools.attach.VirtualMachine;

/**
 * Samples the used heap of another JVM (a {@link RouterProcess}) every few milliseconds through
 * the attach API and its local JMX agent, remembering the peak. Used heap includes garbage not yet
 * collected, so the peak is an upper bound of what the router really needed.
 */
public final class HeapSampler implements AutoCloseable {
    private final JMXConnector connector;
    private final MemoryMXBean memory;
    private final Thread thread;
    private final AtomicLong peak = new AtomicLong();
    private final AtomicLong samples = new AtomicLong();
    private volatile boolean running = true;

    private HeapSampler(JMXConnector connector, MemoryMXBean memory, long everyMillis) {
        this.connector = connector;
        this.memory = memory;
        this.thread = new Thread(() -> {
            while (running) {
                try {
                    sample();
                    TimeUnit.MILLISECONDS.sleep(everyMillis);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException processGone) {
                    return;
                }
            }
        }, "heap-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Attaches if this machine allows it (the attach mechanism can be disabled or unreachable in a
     * container); empty otherwise, so a test can still rely on -XX:+ExitOnOutOfMemoryError alone.
     */
    public static java.util.Optional<HeapSampler> tryAttach(long pid, long everyMillis) {
        try {
            return java.util.Optional.of(attach(pid, everyMillis));
        } catch (Exception | LinkageError e) {
            System.err.println("HeapSampler: cannot attach to " + pid + ": " + e);
            return java.util.Optional.empty();
        }
    }

    /** Attaches to {@code pid} and starts sampling. */
    public static HeapSampler attach(long pid, long everyMillis) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(String.valueOf(pid));
        String address;
        try {
            address = vm.startLocalManagementAgent();
        } finally {
            vm.detach();
        }
        JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(address));
        MemoryMXBean memory = ManagementFactory.newPlatformMXBeanProxy(connector.getMBeanServerConnection(),
                ManagementFactory.MEMORY_MXBEAN_NAME, MemoryMXBean.class);
        return new HeapSampler(connector, memory, everyMillis);
    }

    private void sample() {
        long used = memory.getHeapMemoryUsage().getUsed();
        peak.accumulateAndGet(used, Math::max);
        samples.incrementAndGet();
    }

    /** The highest used heap seen so far, in bytes. */
    public long peakBytes() {
        return peak.get();
    }

    public long samples() {
        return samples.get();
    }

    @Override
    public void close() throws Exception {
        running = false;
        thread.interrupt();
        thread.join(5000);
        connector.close();
    }
}
