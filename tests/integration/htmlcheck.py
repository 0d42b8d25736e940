#!/usr/bin/python3
"""Checks a console page (the body of a response, on stdin) for the rules
every page keeps, and prints what breaks them, one per line; exits 1 when
anything does.

- elements are closed in order (void elements aside), nothing is closed
  that was not open;
- no inline script, no <style>, no style attribute, no on* handler, no
  javascript: URL (the CSP would block them: they must not be there);
- ids are unique, and every <label for> names one;
- every <form method="post"> but the sign-in's carries exactly one hidden
  csrf field, equal to --csrf when given;
- every form that posts a change (--password-forms PREFIX: its action
  starts with it) has the "Your password" field: name password, type
  password, autocomplete current-password, labelled "Your password".

usage: htmlcheck.py [--csrf TOKEN] [--password-forms PREFIX] < page.html
"""
import getopt
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}
# SVG's own elements close themselves with "/>" inside the chart.
SELF_CLOSING_OK = {"rect", "line", "path", "circle", "polyline"}


class Check(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.problems = []
        self.ids = {}
        self.labels = []        # (for, text)
        self.label = None       # [for, text] while inside a label
        self.forms = []         # dicts
        self.form = None

    def problem(self, text):
        self.problems.append("line %d: %s" % (self.getpos()[0], text))

    def attrs_check(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.problem("<%s %s>: an event handler" % (tag, name))
            if name == "style":
                self.problem("<%s style>: an inline style" % tag)
            if value and value.strip().lower().startswith("javascript:"):
                self.problem("<%s %s>: a javascript: URL" % (tag, name))
            if name == "id":
                if value in self.ids:
                    self.problem("id %r twice" % value)
                self.ids[value] = tag

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.attrs_check(tag, attrs)
        if tag == "script" and not a.get("src"):
            self.problem("an inline <script>")
        if tag == "style":
            self.problem("a <style> element")
        if tag == "form":
            self.form = {"method": a.get("method", ""), "action":
                         a.get("action", ""), "csrf": [], "password": [],
                         "line": self.getpos()[0]}
            self.forms.append(self.form)
        if tag == "input" and self.form is not None:
            if a.get("name") == "csrf":
                self.form["csrf"].append(a)
            if a.get("name") == "password":
                self.form["password"].append(a)
        if tag == "label":
            self.label = [a.get("for"), ""]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.attrs_check(tag, attrs)
        if tag not in VOID and tag not in SELF_CLOSING_OK:
            self.problem("<%s/> is not a void element" % tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            self.problem("</%s> closes a void element" % tag)
            return
        if not self.stack or self.stack[-1] != tag:
            self.problem("</%s> while %s is open" % (tag, self.stack[-1:]))
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag == "form":
            self.form = None
        if tag == "label" and self.label is not None:
            self.labels.append((self.label[0], self.label[1].strip()))
            self.label = None

    def handle_data(self, data):
        if self.label is not None:
            self.label[1] += data


def main():
    opts, _ = getopt.getopt(sys.argv[1:], "", ["csrf=", "password-forms="])
    o = dict(opts)
    csrf = o.get("--csrf")
    prefix = o.get("--password-forms")
    c = Check()
    c.feed(sys.stdin.read())
    c.close()
    if c.stack:
        c.problems.append("left open: %s" % c.stack)
    labelled = {}
    for f, text in c.labels:
        if f is None:
            continue
        if f not in c.ids:
            c.problems.append("<label for=%r> names no element" % f)
        labelled[f] = text
    for f in c.forms:
        where = "form %s (line %d)" % (f["action"], f["line"])
        if f["method"] != "post":
            continue
        if f["action"] != "/login":
            hidden = [x for x in f["csrf"] if x.get("type") == "hidden"]
            if len(hidden) != 1 or len(f["csrf"]) != 1:
                c.problems.append("%s: %d csrf fields" % (where,
                                                          len(f["csrf"])))
            elif csrf is not None and hidden[0].get("value") != csrf:
                c.problems.append("%s: csrf %r" % (where,
                                                   hidden[0].get("value")))
        if prefix and f["action"].startswith(prefix):
            pw = f["password"]
            if len(pw) != 1:
                c.problems.append("%s: %d password fields" % (where, len(pw)))
                continue
            p = pw[0]
            if p.get("type") != "password" or \
               p.get("autocomplete") != "current-password":
                c.problems.append("%s: the password field is %r" % (where, p))
            if labelled.get(p.get("id")) != "Your password":
                c.problems.append("%s: the password field is labelled %r" %
                                  (where, labelled.get(p.get("id"))))
    for p in c.problems:
        print(p)
    sys.exit(1 if c.problems else 0)


main()
