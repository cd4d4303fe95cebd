package mail_test

import (
	"fmt"

	"ipband/mail"
)

func ExampleMessage_Bytes() {
	m := mail.Message{
		To:      []string{"noc@example.com", "root"},
		Subject: "Bandwidth report for 10.10.123.0 <halifax>\r\nBcc: someone@example.com",
		Body:    []byte("Network: 10.10.123.0 <halifax>\r\n"),
	}
	fmt.Printf("%s", m.Bytes())
	// Output:
	// To: noc@example.com, root
	// Subject: Bandwidth report for 10.10.123.0 <halifax>  Bcc: someone@example.com
	// MIME-Version: 1.0
	// Content-Type: text/plain; charset=us-ascii
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
	// mail: bad address "noc@example.com\nBcc: x@example.com": control character at byte 15
}
