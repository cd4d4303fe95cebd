package mail_test

import (
	"fmt"
	"time"

	"ipband/mail"
)

func ExampleMessage_Bytes() {
	m := mail.Message{
		From:    "ipband@gw.example.com",
		To:      []string{"noc@example.com", "root"},
		Subject: "Bandwidth report for 10.10.123.0 <halifax>\r\nBcc: someone@example.com",
		Date:    time.Date(2026, 12, 1, 9, 16, 49, 0, time.UTC),
		ID:      "20261201T091649.3f2a9c@gw.example.com",
		Body:    []byte("Network: 10.10.123.0 <halifax>\r\n"),
	}
	fmt.Printf("%s", m.Bytes())
	// Output:
	// From: ipband@gw.example.com
	// To: noc@example.com, root
	// Subject: Bandwidth report for 10.10.123.0 <halifax>  Bcc: someone@example.com
	// Date: Tue, 01 Dec 2026 09:16:49 +0000
	// Message-ID: <20261201T091649.3f2a9c@gw.example.com>
	// Auto-Submitted: auto-generated
	// MIME-Version: 1.0
	// Content-Type: text/plain; charset=utf-8
	//
	// Network: 10.10.123.0 <halifax>
}

func ExampleNewCommand() {
	c, err := mail.NewCommand("/usr/sbin/sendmail -t -oi")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", c.Args)

	// No shell: the line is only split at white space.
	c, _ = mail.NewCommand("sendmail -t; rm -rf /")
	fmt.Printf("%q\n", c.Args)
	// Output:
	// ["/usr/sbin/sendmail" "-t" "-oi"]
	// ["sendmail" "-t;" "rm" "-rf" "/"]
}

func ExampleSplitAddresses() {
	to, err := mail.SplitAddresses("noc@example.com, root")
	fmt.Printf("%q %v\n", to, err)
	_, err = mail.SplitAddresses("noc@example.com\nBcc: x@example.com")
	fmt.Println(err)
	// Output:
	// ["noc@example.com" "root"] <nil>
	// mail: bad address "noc@example.com\nBcc: x@example.com": mail address may not contain white space or control characters
}
