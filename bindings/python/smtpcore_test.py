"""smtpcore_test: a scripted SMTP delivery through the ctypes wrapper.

Run by smtpcore_test.sh with SMTPC_LIB set to libsmtpc.so's path.
"""

import os
import unittest

import smtpcore

SECOND = 1000000000


def load_lib():
    return smtpcore.load(os.environ["SMTPC_LIB"])


class SessionTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.lib = load_lib()

    def new_session(self, **kwargs):
        kwargs.setdefault("ehlo_domain", "client.example")
        kwargs.setdefault("tls_mode", smtpcore.TLS_NONE)
        return smtpcore.Session(self.lib, **kwargs)

    def test_full_pipelined_delivery(self):
        s = self.new_session()
        body = bytearray(b"Subject: hi\r\n\r\n.dot line\r\nbye\r\n")
        did = s.deliver("a@example.org", ["b@example.org", "c@example.org"],
                        bytes(body), now=SECOND)
        self.assertEqual(did, 1)
        s.close(now=SECOND)
        self.assertEqual(s.take_transmit(), b"")
        self.assertEqual(s.next_deadline(), 300 * SECOND)

        s.receive(b"220 mx.example.org ESMTP\r\n")
        self.assertEqual(s.take_transmit(), b"EHLO client.example\r\n")
        s.receive(b"250-mx.example.org\r\n250-PIPELINING\r\n"
                  b"250 ENHANCEDSTATUSCODES\r\n")
        self.assertEqual(s.take_transmit(),
                         b"MAIL FROM:<a@example.org>\r\n"
                         b"RCPT TO:<b@example.org>\r\n"
                         b"RCPT TO:<c@example.org>\r\n"
                         b"DATA\r\n")
        # Split a reply across two reads.
        s.receive(b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such")
        s.receive(b" user\r\n354 go ahead\r\n")
        events = s.events()
        self.assertEqual([e.summary for e in events], [
            "greeting 220",
            "capabilities PIPELINING ENHANCEDSTATUSCODES",
            "ready",
            "recipient <b@example.org> 250 2.1.5",
            "recipient <c@example.org> 550 5.1.1",
        ])
        self.assertEqual([e.type for e in events], [
            "greeting", "capabilities", "ready", "recipient", "recipient"])
        rejected = events[-1]
        self.assertEqual(rejected.address, "c@example.org")
        self.assertEqual(rejected.code, 550)
        self.assertEqual(rejected.enhanced, (5, 1, 1))
        self.assertEqual(rejected.text, "5.1.1 no such user")
        self.assertEqual(rejected.delivery_id, 1)

        # poll_transmit does not consume; partial consume works.
        data = s.poll_transmit()
        self.assertEqual(data, s.poll_transmit())
        s.consume_transmit(5)
        self.assertEqual(data[5:] + s.take_transmit()[len(data) - 5:],
                         b"ct: hi\r\n\r\n..dot line\r\nbye\r\n.\r\n")

        s.receive(b"250 2.0.0 queued as 42\r\n")
        events = s.events()
        self.assertEqual([e.summary for e in events], [
            "delivered 250 2.0.0 accepted=1 rejected=1",
            "delivery_done delivered=1 rejected=1 deferred=0",
        ])
        done = events[1]
        self.assertEqual((done.type, done.delivery_id, done.delivered,
                          done.rejected, done.deferred, done.error),
                         ("delivery_done", 1, 1, 1, 0, 0))
        self.assertEqual(events[0].accepted, 1)
        self.assertEqual(s.take_transmit(), b"QUIT\r\n")
        s.receive(b"221 2.0.0 bye\r\n")
        events = s.events()
        self.assertEqual([e.summary for e in events], ["closed ok"])
        self.assertEqual(events[0].error, 0)
        self.assertIsNone(s.poll_event())
        self.assertIsNone(s.next_deadline())
        with self.assertRaises(smtpcore.SmtpcError) as cm:
            s.receive(b"250 late\r\n")
        self.assertEqual(cm.exception.code, -3)  # SMTPC_ERR_WRONG_STATE
        s.close_handle()

    def test_crlf_in_address_is_refused(self):
        s = self.new_session()
        with self.assertRaises(smtpcore.SmtpcError) as cm:
            s.deliver("a@example.org", ["b@example.org\r\nRSET"], b"x\r\n")
        self.assertEqual(cm.exception.code, -1)  # SMTPC_ERR_INVALID_ARGUMENT
        self.assertEqual(cm.exception.detail_name, "control_character")
        with self.assertRaises(smtpcore.SmtpcError) as cm:
            s.deliver("a@example.org", [], b"x\r\n")
        self.assertEqual(cm.exception.code, -1)
        # Nothing was queued: the next delivery gets id 1.
        self.assertEqual(s.deliver("a@example.org", ["b@example.org"], b""), 1)

    def test_timeout(self):
        s = self.new_session()
        deadline = s.next_deadline()
        s.handle_timeout(deadline - 1)
        self.assertEqual(s.events(), [])
        s.handle_timeout(deadline)
        (closed,) = s.events()
        self.assertEqual(closed.type, "closed")
        self.assertEqual(closed.error, -7)  # SMTPC_ERR_TIMEOUT
        self.assertEqual(closed.error_detail, "timeout")
        self.assertFalse(closed.permanent)
        self.assertEqual(closed.summary, "closed timeout")

    def test_trace(self):
        s = self.new_session(trace=True)
        s.receive(b"220 mx\r\n")
        events = s.events()
        self.assertEqual(
            [(e.type, e.from_client, e.text) for e in events],
            [("trace", False, "220 mx"), ("greeting", False, "mx"),
             ("trace", True, "EHLO client.example")])

    def test_bad_tls_mode(self):
        with self.assertRaises(smtpcore.SmtpcError) as cm:
            smtpcore.Session(self.lib, tls_mode=7)
        self.assertEqual(cm.exception.code, -1)


if __name__ == "__main__":
    unittest.main()
