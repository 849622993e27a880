package io.dedupconsumer.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loopback TCP proxy that a test can cut, to make a server (typically the database) unreachable
 * in the middle of a run and reachable again later.
 *
 * <p>Point a client at {@code 127.0.0.1:}{@link #port()} instead of the server. {@link #cut()}
 * resets every open connection at once and resets new ones as soon as they are accepted, until
 * {@link #restore()}. Clients therefore see the failure immediately (connection reset, end of
 * stream) rather than waiting for timeouts, which keeps failure tests fast and deterministic.
 * {@link #latency(Duration)} makes the server slow instead: its answers arrive late, as from a
 * loaded or distant server.
 *
 * <p>Plain blocking sockets, two daemon threads per connection; meant for a handful of connections
 * (a connection pool), not for load.
 */
public final class TcpProxy implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TcpProxy.class);

    private static final int CONNECT_TIMEOUT_MILLIS = 2_000;

    private static final int BUFFER_SIZE = 16 * 1024;

    private final String targetHost;

    private final int targetPort;

    private final ServerSocket serverSocket;

    private final Thread acceptor;

    private final Object lock = new Object();

    private final Set<Link> links = new HashSet<>();

    private final AtomicInteger linkIds = new AtomicInteger();

    private boolean cut;

    private boolean closed;

    /** How long each chunk the server sends is held before it is passed on; 0 = none. */
    private volatile long latencyNanos;

    private TcpProxy(String targetHost, int targetPort, ServerSocket serverSocket) {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.serverSocket = serverSocket;
        this.acceptor = new Thread(this::acceptLoop, "tcp-proxy-" + serverSocket.getLocalPort() + "-accept");
        this.acceptor.setDaemon(true);
    }

    /**
     * Starts a proxy on a free port of 127.0.0.1 that forwards to the given server.
     *
     * @param host the server host
     * @param port the server port
     * @return the running proxy
     */
    public static TcpProxy start(String host, int port) {
        try {
            ServerSocket serverSocket = new ServerSocket();
            serverSocket.setReuseAddress(true);
            serverSocket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
            TcpProxy proxy = new TcpProxy(host, port, serverSocket);
            proxy.acceptor.start();
            log.info("TCP proxy 127.0.0.1:{} -> {}:{} started", serverSocket.getLocalPort(), host, port);
            return proxy;
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not start a TCP proxy to " + host + ":" + port, ex);
        }
    }

    /**
     * Returns the port clients should connect to (on 127.0.0.1).
     *
     * @return the listening port
     */
    public int port() {
        return this.serverSocket.getLocalPort();
    }

    /**
     * Resets every open connection and refuses (accepts and immediately resets) new ones until
     * {@link #restore()} is called.
     */
    public void cut() {
        List<Link> toClose;
        synchronized (this.lock) {
            this.cut = true;
            toClose = new ArrayList<>(this.links);
            this.links.clear();
        }
        toClose.forEach(Link::reset);
        log.info("TCP proxy 127.0.0.1:{} cut ({} connections reset)", port(), toClose.size());
    }

    /**
     * Holds every chunk of bytes the server sends for {@code latency} before passing it on, from
     * now on and on the connections already open, until called again ({@link Duration#ZERO} turns
     * it off). A request answered in one chunk is answered {@code latency} late; an answer the
     * server writes in several chunks is late once per chunk. Client-to-server traffic is not held.
     *
     * @param latency the delay, zero or positive
     */
    public void latency(Duration latency) {
        Objects.requireNonNull(latency, "latency");
        if (latency.isNegative()) {
            throw new IllegalArgumentException("latency: " + latency + " is negative; use Duration.ZERO for none");
        }
        this.latencyNanos = latency.toNanos();
        log.info("TCP proxy 127.0.0.1:{} now holds the server's answers for {} ms", port(), latency.toMillis());
    }

    /** Lets new connections through again after {@link #cut()}. */
    public void restore() {
        synchronized (this.lock) {
            this.cut = false;
        }
        log.info("TCP proxy 127.0.0.1:{} restored", port());
    }

    /**
     * Returns how many client connections are currently being forwarded.
     *
     * @return the number of open forwarded connections
     */
    public int openConnections() {
        synchronized (this.lock) {
            return this.links.size();
        }
    }

    /** Stops listening and resets every open connection. */
    @Override
    public void close() {
        List<Link> toClose;
        synchronized (this.lock) {
            if (this.closed) {
                return;
            }
            this.closed = true;
            toClose = new ArrayList<>(this.links);
            this.links.clear();
        }
        closeQuietly(this.serverSocket);
        toClose.forEach(Link::reset);
        try {
            this.acceptor.join(5_000);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        log.info("TCP proxy 127.0.0.1:{} closed", port());
    }

    private void acceptLoop() {
        while (!this.serverSocket.isClosed()) {
            Socket client;
            try {
                client = this.serverSocket.accept();
            }
            catch (IOException ex) {
                if (!this.serverSocket.isClosed()) {
                    log.warn("TCP proxy 127.0.0.1:{} stopped accepting", port(), ex);
                }
                return;
            }
            handle(client);
        }
    }

    private void handle(Socket client) {
        if (isCutOrClosed()) {
            reset(client);
            return;
        }
        Socket server = new Socket();
        try {
            server.connect(new InetSocketAddress(this.targetHost, this.targetPort), CONNECT_TIMEOUT_MILLIS);
            client.setTcpNoDelay(true);
            server.setTcpNoDelay(true);
        }
        catch (IOException ex) {
            log.warn("TCP proxy 127.0.0.1:{} could not reach {}:{}: {}", port(), this.targetHost, this.targetPort,
                    ex.toString());
            reset(client);
            closeQuietly(server);
            return;
        }
        Link link = new Link(this.linkIds.incrementAndGet(), client, server);
        synchronized (this.lock) {
            if (this.cut || this.closed) {
                link.reset();
                return;
            }
            this.links.add(link);
        }
        link.start();
    }

    private boolean isCutOrClosed() {
        synchronized (this.lock) {
            return this.cut || this.closed;
        }
    }

    private void forget(Link link) {
        synchronized (this.lock) {
            this.links.remove(link);
        }
    }

    /** Closes with SO_LINGER 0, so the peer gets a reset instead of a graceful end of stream. */
    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        }
        catch (SocketException ex) {
            // already closed
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        }
        catch (Exception ex) {
            // nothing to do
        }
    }

    /** One client connection and its connection to the server, pumped by two threads. */
    private final class Link {

        private final int id;

        private final Socket client;

        private final Socket server;

        private final AtomicInteger finishedPumps = new AtomicInteger();

        Link(int id, Socket client, Socket server) {
            this.id = id;
            this.client = client;
            this.server = server;
        }

        void start() {
            startPump(this.client, this.server, "up", false);
            startPump(this.server, this.client, "down", true);
        }

        private void startPump(Socket from, Socket to, String direction, boolean delayed) {
            Thread thread = new Thread(() -> pump(from, to, delayed),
                    "tcp-proxy-" + port() + "-" + this.id + "-" + direction);
            thread.setDaemon(true);
            thread.start();
        }

        private void pump(Socket from, Socket to, boolean delayed) {
            byte[] buffer = new byte[BUFFER_SIZE];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int read;
                while ((read = in.read(buffer)) != -1) {
                    if (delayed) {
                        hold(System.nanoTime() + TcpProxy.this.latencyNanos);
                    }
                    out.write(buffer, 0, read);
                    out.flush();
                }
                // orderly end of stream: pass the half-close on
                to.shutdownOutput();
            }
            catch (IOException ex) {
                // one side failed or was reset: take the whole link down
                reset();
                return;
            }
            if (this.finishedPumps.incrementAndGet() == 2) {
                closeQuietly(this.client);
                closeQuietly(this.server);
                forget(this);
            }
        }

        /** Waits until {@code deadline} (a {@link System#nanoTime()}), unless the link is reset meanwhile. */
        private void hold(long deadline) {
            for (long left = deadline - System.nanoTime(); left > 0 && !this.client.isClosed();
                    left = deadline - System.nanoTime()) {
                LockSupport.parkNanos(left);
            }
        }

        void reset() {
            TcpProxy.reset(this.client);
            TcpProxy.reset(this.server);
            forget(this);
        }
    }
}
