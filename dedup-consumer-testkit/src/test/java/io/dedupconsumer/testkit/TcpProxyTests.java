package io.dedupconsumer.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TcpProxyTests {

    private static final int READ_TIMEOUT_MILLIS = 5_000;

    private EchoServer echo;

    @BeforeEach
    void startEchoServer() throws IOException {
        this.echo = new EchoServer();
    }

    @AfterEach
    void stopEchoServer() {
        this.echo.close();
    }

    @Test
    void forwardsBytesBothWays() throws IOException {
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", this.echo.port());
                Socket socket = connect(proxy.port())) {
            assertThat(proxy.port()).isNotEqualTo(this.echo.port());
            assertThat(roundTrip(socket, "hello")).isEqualTo("hello");
            assertThat(roundTrip(socket, "again")).isEqualTo("again");
            assertThat(proxy.openConnections()).isEqualTo(1);
        }
    }

    @Test
    void cutClosesOpenConnectionsAndRefusesNewOnesUntilRestored() throws IOException {
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", this.echo.port())) {
            Socket open = connect(proxy.port());
            assertThat(roundTrip(open, "before")).isEqualTo("before");

            proxy.cut();

            assertThat(proxy.openConnections()).isZero();
            assertBroken(open);
            assertRefused(proxy.port());
            assertRefused(proxy.port());

            proxy.restore();

            try (Socket after = connect(proxy.port())) {
                assertThat(roundTrip(after, "after")).isEqualTo("after");
            }
            open.close();
        }
    }

    @Test
    void clientClosingItsConnectionIsForgotten() throws IOException {
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", this.echo.port())) {
            try (Socket socket = connect(proxy.port())) {
                assertThat(roundTrip(socket, "x")).isEqualTo("x");
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.openConnections() == 0);
        }
    }

    @Test
    void latencyHoldsTheServersAnswersOnOpenConnectionsUntilTurnedOff() throws IOException {
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", this.echo.port());
                Socket socket = connect(proxy.port())) {
            assertThat(roundTrip(socket, "fast")).isEqualTo("fast");

            proxy.latency(Duration.ofMillis(200));
            long start = System.nanoTime();
            assertThat(roundTrip(socket, "slow")).isEqualTo("slow");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("an answer can only be later than the latency")
                    .isGreaterThanOrEqualTo(Duration.ofMillis(200));

            proxy.latency(Duration.ZERO);
            assertThat(roundTrip(socket, "fast again")).isEqualTo("fast again");
            assertThatThrownBy(() -> proxy.latency(Duration.ofMillis(-1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("latency:");
        }
    }

    @Test
    void unreachableServerResetsTheClient() throws IOException {
        int deadPort;
        try (ServerSocket unused = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = unused.getLocalPort();
        }
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", deadPort)) {
            assertRefused(proxy.port());
        }
    }

    @Test
    void closeStopsListening() {
        TcpProxy proxy = TcpProxy.start("127.0.0.1", this.echo.port());
        int port = proxy.port();
        proxy.close();
        assertThatThrownBy(() -> connect(port).close()).isInstanceOf(ConnectException.class);
    }

    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), READ_TIMEOUT_MILLIS);
        socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        return socket;
    }

    private static String roundTrip(Socket socket, String text) throws IOException {
        byte[] sent = text.getBytes(StandardCharsets.UTF_8);
        socket.getOutputStream().write(sent);
        socket.getOutputStream().flush();
        byte[] received = socket.getInputStream().readNBytes(sent.length);
        return new String(received, StandardCharsets.UTF_8);
    }

    /** A refused connection is reset during the handshake or right after it. */
    private static void assertRefused(int port) {
        Socket socket;
        try {
            socket = connect(port);
        }
        catch (SocketException ex) {
            return; // reset before connect() returned
        }
        catch (IOException ex) {
            throw new AssertionError("expected the connection to be refused, got " + ex, ex);
        }
        try (socket) {
            assertBroken(socket);
        }
        catch (IOException ex) {
            // closing a reset socket
        }
    }

    /** A broken connection ends (EOF) or fails (reset) promptly; a read timeout would fail the test. */
    private static void assertBroken(Socket socket) {
        try {
            socket.getOutputStream().write('x');
            socket.getOutputStream().flush();
            assertThat(socket.getInputStream().read()).as("read on a cut connection").isEqualTo(-1);
        }
        catch (SocketException ex) {
            assertThat(ex.getMessage()).containsAnyOf("reset", "Broken pipe", "closed");
        }
        catch (IOException ex) {
            throw new AssertionError("expected the connection to be broken, got " + ex, ex);
        }
    }

    /** Echoes every byte back; one thread per connection. */
    private static final class EchoServer implements AutoCloseable {

        private final ServerSocket server;

        EchoServer() throws IOException {
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(this::acceptLoop, "echo-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return this.server.getLocalPort();
        }

        private void acceptLoop() {
            while (!this.server.isClosed()) {
                try {
                    Socket socket = this.server.accept();
                    Thread echoer = new Thread(() -> echo(socket), "echo");
                    echoer.setDaemon(true);
                    echoer.start();
                }
                catch (IOException ex) {
                    return;
                }
            }
        }

        private static void echo(Socket socket) {
            try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
                in.transferTo(out);
            }
            catch (IOException ex) {
                // peer went away
            }
        }

        @Override
        public void close() {
            try {
                this.server.close();
            }
            catch (IOException ex) {
                // nothing to do
            }
        }
    }
}
