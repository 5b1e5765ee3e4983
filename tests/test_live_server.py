"""The test client for real servers: a server that dies mid-answer is a broken connection
(OSError), the one failure the crash tests expect from a killed server."""
import socket
import threading

import pytest

from tests.live_server import Browser


@pytest.mark.parametrize("status", [200, 403])
def test_an_answer_cut_short_is_a_connection_error(status):
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def answer_half():
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(f"HTTP/1.1 {status} X\r\nContent-Length: 283\r\n\r\npart".encode())
        conn.close()  # killed before the rest of the body

    server = threading.Thread(target=answer_half)
    server.start()
    try:
        with pytest.raises(OSError):
            Browser(f"http://127.0.0.1:{port}").get("/threads/1")
    finally:
        server.join()
        listener.close()
