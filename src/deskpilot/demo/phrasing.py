"""How demo customers write and how good agents answer, per intent.

A customer message is composed from independent slots (greeting, opener, core phrasing, detail,
closer, signature), so a few hundred tickets almost never repeat a body and the intent
classifier sees paraphrases rather than templates. Every slot is a `str.format` template over the
facts the generator computes for a ticket (see `generator.FACT_KEYS`): the customer's real
invoice numbers, amounts, plan, seats and the page they were on.
"""

from __future__ import annotations

from dataclasses import dataclass

from deskpilot.models import Priority, Sentiment


@dataclass(frozen=True)
class Page:
    """Where the in-app widget says the customer was; `banner` is an error shown on the page."""

    path: str
    title: str
    visible_state: str
    banner: str = ""


@dataclass(frozen=True)
class Scenario:
    """One situation within an intent: its phrasings and the reply a skilled agent sends."""

    key: str
    cores: tuple[str, ...]
    replies: tuple[str, ...]
    subjects: tuple[str, ...] = ()
    details: tuple[str, ...] = ()
    # Which customers can be in this situation: "any", "paying", "invoice" (paying, names one of
    # their invoices), "upgrade", "seats", "failed", "enterprise", "free".
    requires: str = "any"
    page: Page | None = None
    page_rate: float = 0.0  # how often the widget attached the page (1.0 = always)
    weight: int = 1


@dataclass(frozen=True)
class IntentWording:
    subjects: tuple[str, ...]
    openers: tuple[str, ...]
    closers: tuple[str, ...]
    scenarios: tuple[Scenario, ...]
    sentiments: tuple[Sentiment | None, ...]
    priorities: tuple[tuple[Priority, int], ...]
    tags: tuple[str, ...]
    resolve_rate: float = 0.64
    escalate_rate: float = 0.1  # share of open tickets that are escalated
    polite: bool = True  # False: no generic "Thanks!" closers (angry customers don't)
    thanks: tuple[str, ...] = ()  # customer follow-ups after a resolution; default THANKS_FOLLOWUPS
    channels: tuple[tuple[str, int], ...] = (("email", 55), ("chat", 20), ("web", 20), ("phone", 5))


_NORMAL = ((Priority.NORMAL, 70), (Priority.LOW, 15), (Priority.HIGH, 15))
_HIGHISH = ((Priority.HIGH, 45), (Priority.NORMAL, 40), (Priority.URGENT, 15))

GREETINGS: tuple[str, ...] = (
    "Hi,",
    "Hello,",
    "Hi there,",
    "Hey,",
    "Hi team,",
    "Hello Acme Cloud support,",
    "Good morning,",
    "Good afternoon,",
    "Dear support team,",
    "Hi folks,",
    "Hiya,",
    "Hello support,",
)

CLOSERS: tuple[str, ...] = (
    "Thanks!",
    "Thanks in advance.",
    "Thank you.",
    "Appreciate the help.",
    "Any help would be great.",
    "Let me know.",
    "Looking forward to hearing from you.",
    "thx",
    "Many thanks.",
    "Thanks a lot for your help.",
    "Cheers.",
    "Please advise.",
)

SIGNATURES: tuple[str, ...] = (
    "{first}",
    "{name}",
    "{name}\n{company}",
    "– {first}",
    "{first} ({company})",
    "Best,\n{first}",
    "Kind regards,\n{name}",
    "Thanks,\n{first}",
    "Regards,\n{name}\n{company}",
)

AGENT_GREETINGS: tuple[str, ...] = (
    "Hi {first},",
    "Hello {first},",
    "Hi {first}, thanks for reaching out.",
    "Thanks for getting in touch, {first}.",
    "Hi {first}, thanks for the detailed message.",
    "Hi {first}, and thanks for your patience.",
)

AGENT_SIGNOFFS: tuple[str, ...] = (
    "Best,\n{agent}\nAcme Cloud Support",
    "Kind regards,\n{agent}\nAcme Cloud Support",
    "All the best,\n{agent} | Acme Cloud Support",
    "Thanks,\n{agent}\nAcme Cloud Support",
    "Cheers,\n{agent_first} from Acme Cloud Support",
)

AGENT_EXTRA_LINES: tuple[str, ...] = (
    "Let me know if anything else comes up.",
    "If anything is still unclear, just reply to this email.",
    "Happy to jump on a quick call if that's easier.",
    "",
    "",
)

THANKS_FOLLOWUPS: tuple[str, ...] = (
    "That worked, thank you!",
    "Perfect, thanks {agent_first}.",
    "Got it, all clear now. Thanks!",
    "Thanks for the quick help!",
    "Great, that answers it.",
    "ok that did it, thanks",
    "Brilliant, much appreciated.",
    "Thanks – makes sense now.",
    "All sorted on our side, thank you.",
)

AGENT_CLOSING_REPLIES: tuple[str, ...] = (
    "Glad that sorted it, {first}! I'll close this ticket now – just reply if anything else "
    "comes up.",
    "Great to hear, {first}. I'm marking this as solved; replying reopens it any time.",
    "You're welcome, {first}! Have a good rest of your week.",
)

OPEN_FOLLOWUPS: tuple[str, ...] = (
    "Any update on this?",
    "Hi again, still waiting on this one.",
    "Just following up – this is blocking us.",
    "Can someone please get back to me?",
    "Bumping this. Is anyone looking at it?",
    "Hello? It's been a while.",
    "Quick follow-up: still the same today.",
    "any news??",
)

# Steps the in-app widget records before a bug report was filed.
BUG_STEPS: tuple[str, ...] = (
    "Reloaded the page",
    "Hard refresh (Ctrl+Shift+R)",
    "Cleared cache and cookies",
    "Tried a private window",
    "Signed out and back in",
    "Tried another browser",
    "Disabled the ad blocker",
    "Asked a colleague to try – same result",
    "Waited 10 minutes and tried again",
)

# How customers describe each known bug, by bug id:
# (page name, page title, what the page shows, symptom phrasings).
BUG_SYMPTOMS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "BUG-101": (
        "Reports page",
        "Reports · Acme Cloud",
        "Blank report area with a 'Something went wrong' banner",
        (
            "our weekly report just shows a blank page with 'Something went wrong'",
            "the Reports page crashes as soon as I open our saved report",
            "none of our saved reports load anymore, the page goes white",
        ),
    ),
    "BUG-102": (
        "export",
        "Export report · Acme Cloud",
        "Progress bar stuck at 99%, then 'Export failed'",
        (
            "the CSV export gets stuck at 99% and never downloads",
            "exporting our report times out every single time",
            "export says failed after sitting at 99% for two minutes",
        ),
    ),
    "BUG-103": (
        "integrations page",
        "Integrations · Settings · Acme Cloud",
        "Empty white page after returning from Salesforce",
        (
            "after I approve Salesforce the integrations page is completely blank",
            "connecting HubSpot leaves me on an empty white screen",
            "the integrations settings page shows nothing after the OAuth step",
        ),
    ),
    "BUG-104": (
        "board",
        "Sprint board · Acme Cloud",
        "Card moved back to its old column a second after dropping it",
        (
            "cards I drag to another column jump back a second later",
            "the board won't save when I move cards, they snap back",
            "drag and drop on our board is broken, nothing sticks",
        ),
    ),
    "BUG-105": (
        "automations page",
        "Automations · Acme Cloud",
        "Recurring rule shows 'Last run: never'",
        (
            "our recurring automation (every weekday 9am) hasn't run once",
            "scheduled automations just don't trigger anymore",
            "the 'every Monday' rule never fires, history is empty",
        ),
    ),
    "BUG-106": (
        "invite page",
        "Join workspace · Acme Cloud",
        "'This invitation has expired' on the first click",
        (
            "my new colleague gets 'invitation expired' the moment she clicks the invite",
            "invite links say expired even though I sent them an hour ago",
            "nobody I invite can join, the link is always 'no longer valid'",
        ),
    ),
    "BUG-107": (
        "dashboard",
        "Dashboard · Acme Cloud",
        "Every widget shows 'No data'",
        (
            "all the dashboard widgets say No data on my Mac",
            "the dashboard is empty in Safari but fine for my colleague",
            "charts on the dashboard don't draw at all, just 'No data'",
        ),
    ),
    "BUG-108": (
        "files page",
        "Files · Project · Acme Cloud",
        "Upload bar turns red: 'Upload failed'",
        (
            "I can't upload a 40 MB video, it fails every time",
            "file uploads over about 25 MB fail every time",
            "uploading our design files fails with an error halfway through",
        ),
    ),
    "BUG-109": (
        "security settings",
        "Security · Settings · Acme Cloud",
        "Empty box where the 2FA QR code should be",
        (
            "the QR code for two-factor setup never shows up",
            "I'm trying to enable 2FA but there's just an empty square, no QR code",
            "2FA setup page is missing the QR code",
        ),
    ),
    "BUG-110": (
        "billing page",
        "Billing · Settings · Acme Cloud",
        "Spinner that never finishes",
        (
            "the billing page just spins forever",
            "I can't open billing settings, it keeps loading",
            "billing page never loads so I can't get our invoices",
        ),
    ),
    "BUG-111": (
        "import page",
        "Import · Acme Cloud",
        "Map columns step frozen, browser says the page is unresponsive",
        (
            "the import freezes on the map columns step",
            "uploading our CSV makes the browser hang on the mapping screen",
            "import tool locks up my tab every time after I upload the file",
        ),
    ),
    "BUG-112": (
        "API keys page",
        "API keys · Settings · Acme Cloud",
        "'Something went wrong' instead of the list of keys",
        (
            "the API keys page errors out so I can't rotate our key",
            "I can't see our API keys anymore, just an error",
            "API keys settings crash when I open them",
        ),
    ),
    "BUG-113": (
        "notification settings",
        "Notifications · Settings · Acme Cloud",
        "Red banner 'Couldn't save your changes'",
        (
            "my notification settings won't save",
            "every time I turn off email notifications it says couldn't save",
            "changes to notifications are not saved, red error banner",
        ),
    ),
}

BUG_REPLY_WORKAROUND: tuple[str, ...] = (
    "Thanks for the report and for the console error, which made this quick to pin down. "
    "This is a known issue ({bug_id}: {bug_title}) that our engineers are working on. Until the "
    "fix ships, this works: {workaround} I've linked your ticket to {bug_id}, so you'll hear "
    "from us as soon as it's released.",
    "Sorry about the trouble on the {page_name}! The error you captured ({error}) matches a "
    "known bug, {bug_id}, and a fix is in progress. In the meantime: {workaround} I've added "
    "{company} to the list of affected customers so we notify you when it's fixed.",
)
BUG_REPLY_NO_WORKAROUND: tuple[str, ...] = (
    "Thanks for the details – the error you sent ({error}) matches a known issue, {bug_id}: "
    "{bug_title}. There isn't a reliable workaround yet, but engineering is on it and I've "
    "linked your ticket so you're notified the moment it's fixed. Meanwhile, trying a private "
    "window or another network can sometimes help.",
    "I'm sorry, that's a known bug on our side ({bug_id}: {bug_title}). Our engineers have "
    "reproduced it and are working on a fix; there's no workaround I can offer yet. I've "
    "attached your report to {bug_id} and will update you as soon as it's released.",
)
BUG_REPLY_FIXED: tuple[str, ...] = (
    "Good news: this was a known issue ({bug_id}: {bug_title}) and the fix has been released. "
    "Please do a hard refresh (Ctrl+Shift+R or Cmd+Shift+R) so your browser loads the new "
    "version, and it should work again. If you still see {error}, reply here and I'll dig in.",
)

INTEGRATIONS: tuple[str, ...] = (
    "Slack",
    "Microsoft Teams",
    "Salesforce",
    "HubSpot",
    "Jira",
    "Google Drive",
    "Zapier",
    "GitHub",
)

WHEN: tuple[str, ...] = (
    "yesterday",
    "this morning",
    "Monday",
    "last week",
    "about an hour ago",
    "the weekend",
    "two days ago",
    "since the last update",
)


WORDING: dict[str, IntentWording] = {
    # ------------------------------------------------------------------ account access
    "account_access": IntentWording(
        subjects=(
            "Can't log in",
            "Login problem",
            "Locked out",
            "Password reset",
            "Unable to sign in",
            "cant access my account",
            "Sign-in issue",
            "Help - login not working",
            "Access to Acme Cloud",
            "Trouble logging in",
        ),
        openers=(
            "I'm having trouble signing in.",
            "Quick one, hopefully.",
            "Not sure who to ask about this.",
            "Urgent login problem.",
            "I need some help getting into my account.",
            "Sorry to bother you.",
            "",
        ),
        closers=(
            "I need access today if at all possible.",
            "I have work due so please help quickly.",
            "Can you help?",
            "What should I do?",
        ),
        sentiments=(None, None, Sentiment.NEGATIVE, Sentiment.NEUTRAL),
        priorities=_HIGHISH,
        tags=("account", "login"),
        scenarios=(
            Scenario(
                key="forgot_password",
                subjects=("Forgot password", "password not working", "Reset my password?"),
                cores=(
                    "I can't get in to my account, I think I forgot my password.",
                    "I forgot my password and now I can't log in.",
                    "how do I reset my password? I've tried everything I can think of",
                    "My password isn't working anymore and I need to get into Acme Cloud today.",
                    "login isn't working - it keeps saying my password is incorrect even though "
                    "I'm sure it's right.",
                    "I can't get into Acme Cloud, it rejects my password.",
                    "Password suddenly stopped working after I changed it {when}.",
                ),
                details=(
                    "The account is {email}.",
                    "I log in with {email}.",
                    "My login is {email} ({company}).",
                    "Email on the account: {email}",
                ),
                replies=(
                    "I've checked your account ({email}) and it's active – nothing is blocking "
                    "sign-in. The quickest fix is a password reset: click **Forgot password?** on "
                    "app.acmecloud.com/login and use the link in the email within 60 minutes. If "
                    "your password manager saved an old password, update it there as well, "
                    "otherwise it will keep filling in the wrong one. Our article *Reset your "
                    "password* walks through each step.",
                    "Your account {email} is in good shape, so a password reset will get you "
                    "in: go to app.acmecloud.com/login → **Forgot password?**, enter {email}, "
                    "and follow the link in the email (it's valid for 60 minutes and works "
                    "once). Resetting also signs you out everywhere else, which is expected.",
                ),
                page=Page(
                    "/login",
                    "Sign in · Acme Cloud",
                    "Login form with 'Incorrect email or password'",
                    "Incorrect email or password.",
                ),
                page_rate=0.3,
                weight=3,
            ),
            Scenario(
                key="reset_email_missing",
                subjects=("Reset email not arriving", "No password reset email", "reset link??"),
                cores=(
                    "The password reset link never arrives. I've requested it {count} times now.",
                    "I'm not getting the reset email at all, checked spam too.",
                    "reset link never arrives, is your email down?",
                    "I clicked 'forgot password' several times but no email shows up.",
                    "The reset email doesn't come through, so I'm stuck at the login screen.",
                    "Where is the password reset email? Nothing in my inbox after {count} tries.",
                ),
                details=(
                    "Address is {email}.",
                    "It should go to {email}.",
                    "We use Outlook at {company}, if that matters.",
                ),
                replies=(
                    "I checked our delivery log for {email}: the reset emails were accepted by "
                    "your mail server but never reached your inbox, which usually means a "
                    "company mail filter is holding them. Please ask your IT team to allow-list "
                    "acmecloud.com and then request one new link – each request cancels the "
                    "previous ones, so always use the newest email. I've also triggered a fresh "
                    "reset link for you just now; it's valid for 60 minutes.",
                    "Thanks for checking spam already. Our logs show the messages to {email} "
                    "were quarantined by your company's email gateway. I've sent a new reset "
                    "link manually, and if it doesn't show up within five minutes, ask IT to "
                    "release messages from no-reply@acmecloud.com. Only the most recent link "
                    "works, so ignore older ones.",
                ),
                weight=2,
            ),
            Scenario(
                key="locked_out",
                subjects=(
                    "Account locked",
                    "Locked out of Acme Cloud",
                    "account temporarily locked",
                ),
                cores=(
                    "I'm locked out of my account after a few wrong passwords.",
                    "It says my account is temporarily locked. Can you unlock it?",
                    "locked out!! need access asap, our client demo is in an hour",
                    "I got the 'Your account is temporarily locked' message and now I can't do "
                    "anything.",
                    "Too many attempts and now I'm locked out of Acme Cloud.",
                    "My account got locked and I don't know why.",
                ),
                details=("Account: {email}", "It's {email}.", "Workspace is {workspace}."),
                replies=(
                    "I've cleared the lock on {email}, so you can sign in again right away. For "
                    "next time: the lock kicks in after five wrong passwords in a row and lifts "
                    "by itself after 30 minutes, and a successful password reset clears it too. "
                    "If those attempts weren't yours, please change your password and turn on "
                    "two-factor authentication in Settings → Security.",
                    "You should be able to sign in now – I've unlocked {email}. Accounts lock "
                    "for 30 minutes after five failed attempts; a saved password in a password "
                    "manager is the usual culprit, so it's worth updating it there. An Owner at "
                    "{company} can also unlock members from Settings → Team if this happens "
                    "again.",
                ),
                page=Page(
                    "/login",
                    "Sign in · Acme Cloud",
                    "Login form with a lock notice",
                    "Your account is temporarily locked. Try again in 30 minutes.",
                ),
                page_rate=0.4,
                weight=2,
            ),
            Scenario(
                key="lost_2fa",
                subjects=("Lost 2FA device", "2FA problem", "New phone, can't log in"),
                cores=(
                    "I got a new phone and lost my 2FA codes, so I can't sign in.",
                    "My authenticator app was wiped and now I can't get past the two-factor "
                    "screen.",
                    "lost my phone with the authenticator on it. how do I get back in?",
                    "2FA lost – I don't have the old device anymore and never saved recovery "
                    "codes.",
                    "The two-factor code screen is blocking me, my phone was replaced.",
                ),
                details=("My account is {email}.", "I'm an admin at {company}."),
                replies=(
                    "Sorry about the phone trouble! If you saved recovery codes when you set up "
                    "2FA, click **Use a recovery code** on the code screen (each code works once) "
                    "and then register your new phone in Settings → Security → Change device. "
                    "Without the codes, any Owner or Admin at {company} can reset your 2FA from "
                    "Settings → Team. If nobody else can, reply from {email} and we'll verify "
                    "your identity and reset it within two business days.",
                ),
                weight=2,
            ),
            Scenario(
                key="2fa_rejected",
                subjects=("2FA code invalid", "Two-factor code not accepted"),
                cores=(
                    "2FA code keeps getting rejected, it says invalid code every time.",
                    "The six-digit code from my authenticator never works.",
                    "my two factor codes are always wrong even though I type them right away",
                ),
                details=("Account {email}.",),
                replies=(
                    "Codes being rejected right after you type them almost always means the "
                    "phone's clock has drifted: authenticator codes are time based. Please set "
                    "your phone's date & time to automatic and try again. Also check you're "
                    "using the Acme Cloud entry in the app for {email} – if you scanned the QR "
                    "code twice, delete the older entry.",
                ),
            ),
            Scenario(
                key="sso",
                requires="enterprise",
                subjects=("SSO login failing", "Okta sign-in error", "SAML error"),
                cores=(
                    "SSO login fails with 'User is not assigned to this application'.",
                    "We moved to Okta and now people on my team can't log in through SSO.",
                    "Signing in with SSO gives me 'SAML response signature invalid'.",
                    "single sign-on stopped working for our whole company {when}",
                ),
                details=("We're {company}, about {seats} users.", "My email is {email}."),
                replies=(
                    "Thanks for the exact error. 'User is not assigned to this application' "
                    "comes from your identity provider, so your IT team needs to assign the "
                    "Acme Cloud app to the affected people there. If everyone at {company} is "
                    "affected at once, the provider has probably rotated its signing "
                    "certificate: an Owner can upload the new metadata XML in Settings → "
                    "Security → SSO. Owners can still sign in with their password as a "
                    "break-glass login while you fix it.",
                ),
                page=Page(
                    "/sso",
                    "Single sign-on · Acme Cloud",
                    "SSO error page",
                    "SAML response signature invalid",
                ),
                page_rate=0.3,
            ),
            Scenario(
                key="email_changed",
                subjects=("Change login email", "Old email deactivated"),
                cores=(
                    "My old work email was deactivated and that's what my Acme Cloud login is "
                    "tied to.",
                    "I need to change the email I log in with but I can't sign in to do it.",
                    "Our domain changed and I can't get into my account with the new address.",
                ),
                details=("The old login was {email}.",),
                replies=(
                    "No problem – an Owner at {company} can change your sign-in address in "
                    "Settings → Team without losing any of your work. If you're the only Owner, "
                    "reply with the number of a recent invoice so we can confirm ownership, "
                    "and we'll switch the address for you. After that you'll sign in with the "
                    "new address and can reset the password from the login page.",
                ),
            ),
        ),
    ),
    # ------------------------------------------------------------------ billing questions
    "billing_question": IntentWording(
        subjects=(
            "Billing question",
            "Question about our subscription",
            "Payment question",
            "billing",
            "Question re: invoices",
            "Quick billing query",
        ),
        openers=(
            "Quick question about billing.",
            "I have a question about our subscription.",
            "I look after the accounts for {company}.",
            "Hoping you can help with a billing thing.",
            "",
        ),
        closers=("Thanks for clarifying.", "Just want to be sure before month end.", ""),
        sentiments=(None, Sentiment.NEUTRAL, Sentiment.NEUTRAL),
        priorities=_NORMAL,
        tags=("billing",),
        scenarios=(
            Scenario(
                key="next_charge",
                requires="paying",
                subjects=("When is our next charge?", "Renewal date"),
                cores=(
                    "When will we be charged next?",
                    "what day does my card get billed each month?",
                    "Can you tell me when our next invoice is due and how much it will be?",
                    "I'd like to know our renewal date and the amount.",
                ),
                details=("We're on {plan_name}.", "Account email {email}."),
                replies=(
                    "Your {plan_name} plan renews on {next_bill}, and that invoice will be "
                    "{next_amount} (your plan plus any additional seats). It's charged "
                    "automatically to the card on file, and the PDF goes to your billing "
                    "contact the same day. You can always see upcoming charges in Settings → "
                    "Billing.",
                ),
            ),
            Scenario(
                key="update_card",
                requires="paying",
                subjects=("Update credit card", "Change payment method", "New company card"),
                cores=(
                    "How do I update the credit card on file?",
                    "Our company card expires at the end of the month, where do I change it?",
                    "I need to switch the payment method to a different card.",
                    "Can I pay with a different card from now on?",
                ),
                replies=(
                    "You can replace the card in Settings → Billing → Payment method → **Replace "
                    "card** (Owners and Billing admins only). The new card is used from your next "
                    "invoice on {next_bill}. Your bank may ask for a quick 3-D Secure "
                    "confirmation when you save it – that's expected.",
                ),
                page=Page("/settings/billing", "Billing · Settings · Acme Cloud", "Billing page"),
                page_rate=0.3,
            ),
            Scenario(
                key="payment_failed",
                requires="failed",
                subjects=("Payment failed", "Card declined", "Past due notice"),
                cores=(
                    "My payment failed and I got a past-due email.",
                    "why was my card declined? it's invoice {invoice}",
                    "I got an email that the payment for {invoice} failed – what do I need to do?",
                    "Our account says past due, but the card is fine as far as I know.",
                ),
                details=("The amount was {amount}.", "Invoice {invoice}, {amount}."),
                replies=(
                    "Invoice {invoice} ({amount}) failed because the bank declined the charge. "
                    "Your workspace is still fully active – we retry automatically 1, 3 and 7 "
                    "days after the first attempt. To settle it now, update the card in Settings "
                    "→ Billing → Payment method and click **Pay now** next to {invoice}. If the "
                    "card itself is fine, a quick call to your bank to allow charges from ACME "
                    "CLOUD usually solves it.",
                ),
                weight=2,
            ),
            Scenario(
                key="receipts",
                requires="paying",
                subjects=("Invoice copies", "Need receipts", "Invoices for accounting"),
                cores=(
                    "Where can I download invoices for our accounting?",
                    "Can you send our finance team copies of the last few invoices?",
                    "I need a PDF receipt for {invoice}.",
                    "How do I get invoices sent to our accounts payable address automatically?",
                ),
                replies=(
                    "All invoices and receipts are in Settings → Billing → Invoices: click an "
                    "invoice, then **Download PDF** (paid ones also have a **Receipt** button). "
                    "I've attached {invoice} to this reply. To have future invoices emailed to "
                    "finance, add their address under Settings → Billing → Billing contact – you "
                    "can add up to three.",
                ),
            ),
            Scenario(
                key="annual",
                requires="paying",
                subjects=("Annual billing?", "Yearly discount"),
                cores=(
                    "Is there a discount if we pay yearly?",
                    "Can we switch to annual billing?",
                    "how much would {plan_name} cost per year",
                ),
                replies=(
                    "Yes – annual billing costs 10 months' price for 12 months, so {plan_name} "
                    "would be {annual_price} a year (plus seats). You can switch in Settings → "
                    "Billing → Change billing period; the unused part of your current monthly "
                    "cycle is credited, and your billing date becomes the day you switch.",
                ),
            ),
            Scenario(
                key="seat_pricing",
                requires="paying",
                subjects=("Extra seats cost", "Seat pricing"),
                cores=(
                    "How much is an extra seat on our plan?",
                    "Do guests count as seats?",
                    "We want to add a few people – what will that cost us?",
                ),
                replies=(
                    "{plan_name} includes {included} seats and extra seats are {seat_price} per "
                    "month each; you currently have {seats}. Seats added mid-cycle are prorated "
                    "on your next invoice. Guests are free on Pro and Enterprise and only see "
                    "the projects you invite them to.",
                ),
            ),
            Scenario(
                key="plan_compare",
                requires="free",
                subjects=("Which plan should we choose?", "Starter vs Pro"),
                cores=(
                    "We're on the free plan – what do we get with Starter vs Pro?",
                    "What's the difference between Starter and Pro?",
                    "Thinking of upgrading from free, which plan has automations?",
                ),
                replies=(
                    "Happy to help you choose! Starter ($29/month, 3 seats included) adds "
                    "unlimited projects, CSV import/export and Slack/Teams. Pro ($79/month, 10 "
                    "seats) adds automations, Salesforce/HubSpot/Jira, API access, guests and "
                    "advanced reports. If automations are what you're after, Pro is the one. "
                    "Upgrades take effect immediately from Settings → Billing → Change plan.",
                ),
            ),
        ),
    ),
    # ------------------------------------------------------------------ invoice discrepancies
    "invoice_discrepancy": IntentWording(
        subjects=(
            "Invoice amount wrong?",
            "Question about invoice {invoice}",
            "Why is our invoice higher?",
            "Unexpected charge",
            "Invoice discrepancy",
            "{invoice} doesn't look right",
            "Overcharged?",
            "Higher bill this month",
        ),
        openers=(
            "I'm reviewing our latest invoice and something doesn't add up.",
            "Our finance team flagged the last invoice.",
            "Something looks off with our bill.",
            "I'm confused by our invoice.",
            "",
        ),
        closers=(
            "Can you explain the charges?",
            "Please break it down for me.",
            "Could you check and correct it if needed?",
            "I'd like to understand before we pay.",
        ),
        sentiments=(Sentiment.NEUTRAL, Sentiment.NEGATIVE, None),
        priorities=_NORMAL,
        tags=("billing", "invoice"),
        scenarios=(
            Scenario(
                key="proration",
                requires="upgrade",
                weight=4,
                subjects=(
                    "Why is {invoice} {amount}?",
                    "Invoice higher than plan price",
                    "Extra lines on our invoice",
                ),
                cores=(
                    "Why is invoice {invoice} {amount}? Our plan is {new_price} a month.",
                    "Our latest invoice is higher than the {new_plan} plan price and I don't "
                    "understand the extra lines.",
                    "I was charged {amount} this month instead of {new_price}. What happened?",
                    "There's a negative line and an extra charge on {invoice}, can someone "
                    "explain?",
                    "The invoice doesn't match our plan price – we pay {new_price}, not {amount}.",
                    "why is my bill bigger than the plan price this time ({amount} vs {new_price})",
                    "Invoice {invoice} has a credit and a second {new_plan} charge on it. Are we "
                    "being billed twice?",
                ),
                details=(
                    "We did upgrade from {old_plan} to {new_plan} at some point last month, not "
                    "sure if that's related.",
                    "It's invoice {invoice}, issued {issued}.",
                    "We switched to {new_plan} on {upgrade_date}.",
                ),
                replies=(
                    "The extra amount on {invoice} comes from your upgrade from {old_plan} to "
                    "{new_plan} on {upgrade_date}. Because that was mid-cycle, the invoice "
                    "carries three lines: a credit of −{credit} for the {days} unused days of "
                    "{old_plan} (of a {cycle_days}-day cycle), a charge of {charge} for those "
                    "same {days} days on {new_plan}, and {new_price} for the next month of "
                    "{new_plan}. That adds up to {amount}. From your next invoice on "
                    "{next_bill} you'll see just the {new_price} plan price.",
                    "Nothing is wrong, but I understand the confusion! You upgraded to "
                    "{new_plan} on {upgrade_date} with {days} of {cycle_days} days left in the "
                    "cycle. We credit the unused {old_plan} time (−{credit} = {old_price} × "
                    "{days}/{cycle_days}) and charge {new_plan} for those days ({charge} = "
                    "{new_price} × {days}/{cycle_days}), then bill the next month ({new_price}). "
                    "So {invoice} totals {amount} once; from {next_bill} it's back to "
                    "{new_price}. Our article *How proration works* has a worked example.",
                ),
            ),
            Scenario(
                key="extra_seats",
                requires="seats",
                weight=2,
                subjects=("Charged for extra seats?", "Seats on invoice"),
                cores=(
                    "Our invoice {invoice} says {amount} but {plan_name} is {price}.",
                    "Why am I being charged for {extra_seats} additional seats?",
                    "We were billed more than the plan price again this month.",
                    "What is the 'Additional seats' line on {invoice}?",
                ),
                details=("We're on {plan_name}.", "Invoice total: {amount}."),
                replies=(
                    "{plan_name} includes {included} seats and your workspace has {seats} "
                    "members, so {invoice} has an *Additional seats* line: {extra_seats} × "
                    "{seat_price} = {seat_total}, on top of the {price} plan price, for {amount} "
                    "in total. If some of those people have left, remove them in Settings → "
                    "Team and lower the seat count in Settings → Billing → Seats; the lower "
                    "number applies from {next_bill}.",
                ),
            ),
            Scenario(
                key="double_charge",
                requires="paying",
                subjects=("Charged twice?", "Duplicate charge"),
                cores=(
                    "I see two charges from Acme Cloud on my card this month.",
                    "We've been charged twice for {invoice}!",
                    "duplicate charge on our statement for {amount}",
                ),
                details=("Invoice {invoice}.",),
                replies=(
                    "I checked {invoice}: it was charged once, for {amount}, on {issued}. The "
                    "second entry on your statement is a card authorization from the first "
                    "payment attempt; banks release these within 3–7 business days and it never "
                    "settles. If it's still there after a week, send us a screenshot of the "
                    "statement and we'll refund any duplicate in full.",
                ),
            ),
            Scenario(
                key="company_details",
                requires="paying",
                subjects=("Wrong details on invoice", "Invoice details"),
                cores=(
                    "The invoice doesn't show our VAT number.",
                    "Invoice {invoice} has the wrong company name on it, it should be {company}.",
                    "We were charged VAT on {invoice} but we're a registered business in the EU.",
                ),
                replies=(
                    "I've updated {company}'s billing details and reissued {invoice} as a "
                    "corrected invoice (same amount, {amount}, new number) – it's attached. To "
                    "have your VAT ID on every future invoice, add it in Settings → Billing → "
                    "Company details; with a valid EU VAT ID the reverse charge applies "
                    "automatically.",
                ),
            ),
        ),
    ),
    # ------------------------------------------------------------------ refunds
    "refund_request": IntentWording(
        subjects=(
            "Refund request",
            "Refund for {invoice}",
            "Request refund",
            "Please refund",
            "money back?",
            "Refund – {company}",
        ),
        openers=(
            "I'd like to request a refund.",
            "Writing about a charge we'd like back.",
            "I'm the billing contact for {company}.",
            "",
            "",
        ),
        closers=(
            "Please confirm when it's processed.",
            "How long does a refund take?",
            "Thanks for sorting this out.",
            "",
        ),
        sentiments=(Sentiment.NEUTRAL, Sentiment.NEGATIVE, Sentiment.NEGATIVE),
        priorities=_NORMAL,
        tags=("billing", "refund"),
        scenarios=(
            Scenario(
                key="forgot_to_cancel",
                requires="invoice",
                weight=2,
                subjects=("Charged after we meant to cancel",),
                cores=(
                    "I meant to cancel before the renewal and got charged {amount} on {invoice}. "
                    "Can I get a refund?",
                    "We stopped using Acme Cloud last month but were still billed – please "
                    "refund {invoice}.",
                    "please refund invoice {invoice}, we forgot to cancel in time",
                ),
                replies=(
                    "I've refunded {invoice} in full ({amount}) to the card it was charged on, "
                    "as it's within our 14-day window and the workspace hasn't been used since. "
                    "Refunds take 5–10 business days to show up, depending on your bank. I've "
                    "also cancelled the plan so there are no further renewals; your data stays "
                    "available on the Free plan.",
                ),
            ),
            Scenario(
                key="accidental_upgrade",
                requires="invoice",
                subjects=("Upgraded by mistake",),
                cores=(
                    "One of our admins upgraded us by mistake. Can you refund {invoice}?",
                    "We never meant to be on {plan_name} – refund {invoice} please.",
                ),
                replies=(
                    "Thanks for explaining. I've refunded {invoice} ({amount}); you'll see it "
                    "on the card in 5–10 business days. To stop this happening again, an Owner "
                    "can limit plan changes to Owners and Billing admins in Settings → Team.",
                ),
            ),
            Scenario(
                key="general",
                requires="invoice",
                weight=2,
                cores=(
                    "I'd like a refund for {invoice} please.",
                    "requesting a refund of {amount} (invoice {invoice})",
                    "Can I get my money back for last month? Invoice {invoice}.",
                    "Please process a refund for invoice {invoice} ({amount}).",
                ),
                details=("The charge was on {issued}.",),
                replies=(
                    "I've processed a refund of {amount} for {invoice}. It goes back to the "
                    "original card and usually appears within 5–10 business days. You'll also "
                    "receive a credit note by email, and the invoice now shows as *refunded* in "
                    "Settings → Billing → Invoices.",
                ),
            ),
            Scenario(
                key="outage_credit",
                requires="invoice",
                subjects=("Refund for downtime",),
                cores=(
                    "Your outage {when} cost us a day of work. I'd like a refund on {invoice}.",
                    "We couldn't use Acme Cloud for hours – we expect part of {invoice} back.",
                ),
                replies=(
                    "I'm sorry for the disruption the outage caused {company}. I've applied a "
                    "credit of 10% of {invoice} to your next invoice on {next_bill}, and "
                    "refunded the same amount against {invoice} so you don't have to wait. "
                    "The post-incident report is on status.acmecloud.com.",
                ),
            ),
            Scenario(
                key="unused_seats",
                requires="invoice",
                cores=(
                    "We paid for seats we never used on {invoice}, can those be refunded?",
                    "Two people left in the middle of the month – can we get a refund for their "
                    "seats on {invoice}?",
                ),
                replies=(
                    "Seats removed mid-cycle aren't normally refunded, but since you told us "
                    "early I've refunded the unused seats on {invoice} as a one-off. To avoid "
                    "paying for them again, lower the seat count in Settings → Billing → Seats "
                    "before {next_bill}.",
                ),
            ),
            Scenario(
                key="duplicate",
                requires="invoice",
                cores=(
                    "We were charged twice, I want my money back for {invoice}.",
                    "{invoice} was paid twice by mistake, please refund the duplicate.",
                ),
                replies=(
                    "You're right, and I'm sorry: {invoice} was collected twice. I've refunded "
                    "the duplicate payment of {amount} in full; it will be back on your card "
                    "within 5–10 business days.",
                ),
            ),
        ),
    ),
    # ------------------------------------------------------------------ onboarding
    "onboarding": IntentWording(
        subjects=(
            "Getting started",
            "Setup question",
            "How do I…?",
            "New to Acme Cloud",
            "Question about setup",
            "help setting up",
        ),
        openers=(
            "We just started using Acme Cloud.",
            "New here!",
            "I'm setting up our workspace for {company}.",
            "Loving it so far, one question.",
            "",
            "",
        ),
        closers=("", "Thanks!", "Is there a guide for this?", "Appreciate any pointers."),
        sentiments=(None, Sentiment.NEUTRAL, Sentiment.POSITIVE),
        priorities=((Priority.NORMAL, 70), (Priority.LOW, 30)),
        tags=("onboarding",),
        channels=(("web", 55), ("chat", 30), ("email", 15)),
        scenarios=(
            Scenario(
                key="invite_team",
                weight=3,
                subjects=("Inviting my team", "Add colleagues"),
                cores=(
                    "how do I invite my team?",
                    "What's the best way to add my colleagues to the workspace?",
                    "I want to add {count} people from {company}, where do I do that?",
                    "Can I invite people with a link instead of emailing them one by one?",
                ),
                replies=(
                    "Welcome aboard! Go to Settings → Team and click **Invite people**, paste "
                    "the email addresses (comma-separated is fine), choose a role and click "
                    "**Send invites**. If you'd rather share a link, use **Copy invite link** on "
                    "the same page. Invites are valid for 7 days, and each member uses a seat – "
                    "your {plan_name} plan includes {included}.",
                ),
                page=Page(
                    "/settings/team",
                    "Team · Settings · Acme Cloud",
                    "Team settings with an 'Invite people' button",
                ),
                page_rate=1.0,
            ),
            Scenario(
                key="integrations",
                weight=2,
                subjects=("Connecting {integration}", "{integration} integration"),
                cores=(
                    "How do I connect {integration}?",
                    "Is there a {integration} integration and how do I set it up?",
                    "trying to hook up {integration}, where do I start",
                    "Can Acme Cloud talk to {integration}? Can't find the setting.",
                ),
                replies=(
                    "Yes! Open Settings → Integrations, find {integration} and click "
                    "**Connect**. You'll be sent to {integration} to approve access – use an "
                    "account with admin rights there – and then choose what to sync. Slack, "
                    "Teams and Zapier are on Starter and up; Salesforce, HubSpot, Jira and "
                    "GitHub need Pro. Our *Connect integrations* article has the details.",
                ),
                page=Page(
                    "/settings/integrations",
                    "Integrations · Settings · Acme Cloud",
                    "List of available integrations, none connected",
                ),
                page_rate=1.0,
            ),
            Scenario(
                key="import",
                subjects=("Importing our data", "CSV import"),
                cores=(
                    "How can I import our tasks from a spreadsheet?",
                    "We're moving over from another tool, can we bring our data with us?",
                    "what format does the CSV import need?",
                ),
                replies=(
                    "You can import from CSV: open **⋯ → Import** in a project (or "
                    "app.acmecloud.com/import), upload the file, map each column on the **Map "
                    "columns** step and start the import. One row per task with a *Title* "
                    "column is all you need; dates work best as YYYY-MM-DD. Files up to 50 MB "
                    "and 100,000 rows are fine, and you get an email report when it's done.",
                ),
                page=Page("/import", "Import · Acme Cloud", "Import wizard, upload step"),
                page_rate=1.0,
            ),
            Scenario(
                key="workspace_setup",
                subjects=("Workspace settings", "Setting up our workspace"),
                cores=(
                    "How do I change our workspace name and logo?",
                    "Can we get a custom address like {workspace}.acmecloud.com?",
                    "Where do I set the time zone for the workspace?",
                ),
                replies=(
                    "All of that lives in Settings → Workspace: the name, the web address "
                    "({workspace}.acmecloud.com), the logo (square, at least 256×256 px) and the "
                    "time zone, which drives due dates and automation schedules. Note that "
                    "changing the address later breaks old links, so it's best set early.",
                ),
                page=Page(
                    "/settings/workspace",
                    "Workspace · Settings · Acme Cloud",
                    "Workspace settings form",
                ),
                page_rate=1.0,
            ),
            Scenario(
                key="api_keys",
                subjects=("API key", "API access"),
                cores=(
                    "Where do I generate an API key?",
                    "How do I get API access for our internal dashboard?",
                    "Which scope does an API key need to create tasks?",
                ),
                replies=(
                    "API keys are in Settings → API keys (Admins and Owners, Pro plan and up). "
                    "Click **New API key**, name it after what uses it, pick the smallest scope "
                    "that works – *write* is enough to create tasks – and copy the key, because "
                    "it's shown only once. Send it as `Authorization: Bearer <key>` to "
                    "https://api.acmecloud.com/v2.",
                ),
                page=Page(
                    "/settings/api-keys",
                    "API keys · Settings · Acme Cloud",
                    "Empty list of API keys with a 'New API key' button",
                ),
                page_rate=1.0,
            ),
            Scenario(
                key="roles",
                subjects=("Permissions question", "Roles and permissions"),
                cores=(
                    "How do I make someone an admin?",
                    "Can I give our accountant access to invoices only?",
                    "What can guests see?",
                ),
                replies=(
                    "In Settings → Team, click the person and pick a role: Admin manages "
                    "members and settings, Billing admin sees plans and invoices only (perfect "
                    "for an accountant), and Guests only see the projects you invite them to. "
                    "Only Owners can grant Owner or Billing admin.",
                ),
                page=Page("/settings/team", "Team · Settings · Acme Cloud", "Member list"),
                page_rate=1.0,
            ),
            Scenario(
                key="notifications",
                subjects=("Email notifications", "Notification settings"),
                cores=(
                    "How do I stop getting so many emails from Acme Cloud?",
                    "Can notifications go to Slack instead of email?",
                ),
                replies=(
                    "In Settings → Notifications you can choose, per event, In app, Email, "
                    "Mobile push or Off, and set the email digest to hourly or daily. To get "
                    "mentions in Slack instead, connect your Slack account on the same page.",
                ),
                page=Page(
                    "/settings/notifications",
                    "Notifications · Settings · Acme Cloud",
                    "Notification preferences",
                ),
                page_rate=1.0,
            ),
        ),
    ),
    # ------------------------------------------------------------------ bug reports
    # Cores for bug reports come from BUG_SYMPTOMS plus these generic phrasings.
    "bug_report": IntentWording(
        subjects=(
            "Bug on {page_name}",
            "Error on {page_path}",
            "Something is broken",
            "{page_name} not working",
            "Bug report",
            "Error message",
            "Is something down?",
        ),
        openers=(
            "Found a bug I think.",
            "Something seems broken.",
            "Reporting an issue.",
            "Not sure if it's just me, but",
            "",
        ),
        closers=(
            "Console error is attached.",
            "This is blocking my work.",
            "Can you look into it?",
            "Is this a known issue?",
            "Please fix.",
        ),
        sentiments=(Sentiment.NEGATIVE, Sentiment.NEUTRAL, Sentiment.NEGATIVE, None),
        priorities=_HIGHISH,
        tags=("bug",),
        channels=(("web", 60), ("chat", 25), ("email", 15)),
        scenarios=(
            Scenario(
                key="known_bug",
                cores=(
                    "The {page_name} is broken: {symptom}.",
                    "{Symptom}.",
                    "Since {when}, {symptom}.",
                    "Getting an error on {page_path} – {symptom}.",
                    "Hey so {symptom}, tried reloading and it's the same.",
                    "I keep hitting an error: {symptom}.",
                    "{Symptom} – is something wrong on your side?",
                    "Every time I open {page_path}, {symptom}.",
                ),
                details=(
                    "The console says: {error}.",
                    "It shows {error} in the browser console.",
                    "Browser is Chrome, latest version.",
                    "I'm on a Mac with Safari.",
                ),
                replies=(),  # bug replies depend on the bug's status: BUG_REPLY_*
            ),
        ),
    ),
    # ------------------------------------------------------------------ order / request status
    "order_status": IntentWording(
        subjects=(
            "Status update?",
            "Following up",
            "Where is my request?",
            "Status of {order_no}",
            "Any news?",
            "Checking in on our request",
        ),
        openers=("Following up on something.", "Just checking in.", "", ""),
        closers=("When can we expect it?", "Thanks.", "Can you give me an ETA?", ""),
        sentiments=(Sentiment.NEUTRAL, None, Sentiment.NEGATIVE),
        priorities=_NORMAL,
        tags=("status",),
        scenarios=(
            Scenario(
                key="data_export",
                subjects=("Data export {export_no}", "Export still running"),
                cores=(
                    "What's the status of my data export {export_no}? It's been running since "
                    "{when}.",
                    "I requested a full export two days ago and still haven't got the download "
                    "link.",
                    "is export {export_no} stuck? it's been 'running' forever",
                ),
                replies=(
                    "Export {export_no} finished this morning – it had a lot of attachments, "
                    "which is why it took longer than usual. The download link was emailed to "
                    "{email} and is also on Settings → Workspace → Export data; it's valid for 7 "
                    "days.",
                ),
            ),
            Scenario(
                key="purchase_order",
                requires="enterprise",  # seat orders on a purchase order are an Enterprise thing
                subjects=("Our seat order", "Seat order status"),
                cores=(
                    "Any update on our purchase order {po_no} for {count} more seats?",
                    "We sent {po_no} last week, has it been processed?",
                    "Where's our order {order_no}? The seats aren't showing up yet.",
                ),
                replies=(
                    "Order {order_no} (purchase order {po_no}) has been countersigned and the "
                    "seats are now active on {company}'s workspace. The invoice referencing "
                    "your PO will be issued within two business days and sent to your billing "
                    "contact.",
                    "Purchase order {po_no} is in finance review: its seat count didn't match "
                    "the quote, so I've asked your account manager, {owner}, to send a "
                    "corrected quote. Once it's countersigned, the seats activate within an "
                    "hour.",
                ),
            ),
            Scenario(
                key="previous_request",
                subjects=("Following up on my ticket",),
                cores=(
                    "I opened a ticket about this last week and haven't heard back – what's the "
                    "status?",
                    "Following up on my earlier request, any news?",
                    "Is anyone working on my previous ticket? No reply yet.",
                ),
                replies=(
                    "Sorry for the wait, {first}. Your earlier request is with our specialist "
                    "team and I've asked them to prioritise it; you'll have an answer by "
                    "tomorrow. "
                    "You can always see the status of your requests under Help → My requests.",
                ),
            ),
            Scenario(
                key="deletion_request",
                subjects=("Workspace deletion status",),
                cores=(
                    "We asked for our old workspace to be deleted – has that been done?",
                    "Can you confirm the data deletion we requested is complete?",
                ),
                replies=(
                    "Confirmed: the old workspace was deactivated on request and its data is "
                    "scheduled for permanent deletion after the 30-day restore window. Backups "
                    "are overwritten within a further 35 days. I'll send a written confirmation "
                    "to {email} once deletion completes.",
                ),
            ),
            Scenario(
                key="import_job",
                subjects=("Import still in progress",),
                cores=(
                    "Our import has been 'in progress' for hours, is it still running?",
                    "The CSV import I started {when} never finished. Status?",
                ),
                replies=(
                    "The import completed, but the notification email bounced. {count} rows "
                    "were skipped because the assignee emails aren't members yet – the report "
                    "is attached. Invite those people and re-import just the skipped rows.",
                ),
            ),
        ),
    ),
    # ------------------------------------------------------------------ cancellation
    "cancellation": IntentWording(
        subjects=(
            "Cancel subscription",
            "Cancellation",
            "Please cancel",
            "cancel our plan",
            "Closing our account",
            "Downgrade / cancel",
        ),
        openers=(
            "We've decided to stop using Acme Cloud.",
            "Unfortunately we need to cancel.",
            "Hi, hard decision but",
            "",
        ),
        closers=(
            "Please confirm the cancellation.",
            "Let me know what happens to our data.",
            "Thanks for everything.",
            "",
        ),
        sentiments=(Sentiment.NEUTRAL, Sentiment.NEGATIVE, None),
        priorities=_NORMAL,
        tags=("cancellation", "churn-risk"),
        scenarios=(
            Scenario(
                key="end_of_term",
                requires="paying",
                weight=2,
                cores=(
                    "Please cancel our subscription at the end of this billing period.",
                    "How do I cancel? We don't need {plan_name} anymore.",
                    "I want to cancel my plan.",
                    "cancel our account please, effective at renewal",
                ),
                replies=(
                    "I've scheduled the cancellation of {company}'s {plan_name} plan for "
                    "{next_bill}. You keep full access until then and there are no further "
                    "charges. After that the workspace moves to Free; anything above the Free "
                    "limits becomes read-only, but nothing is deleted. If you want a copy of "
                    "everything, use Settings → Workspace → Export data.",
                ),
            ),
            Scenario(
                key="too_expensive",
                requires="paying",
                cores=(
                    "It's getting too expensive for our small team, we'd like to cancel.",
                    "Budget cuts – we need to cancel or move to something cheaper.",
                    "We can't justify {price} a month anymore, please cancel.",
                ),
                replies=(
                    "Understood, and thanks for telling us why. I've scheduled the cancellation "
                    "for {next_bill}, so there are no more charges. Before it takes effect, one "
                    "option: moving to a lower plan keeps your projects and history editable "
                    "at a lower price. You can switch in Settings → Billing → Change plan, or "
                    "just reply and I'll do it for you.",
                ),
            ),
            Scenario(
                key="switching",
                requires="paying",
                cores=(
                    "We've decided to move to another tool, please close our account.",
                    "We're consolidating on a different platform, so we'll be cancelling "
                    "Acme Cloud.",
                ),
                replies=(
                    "Sorry to see {company} go, {first}. The cancellation is scheduled for "
                    "{next_bill}; you keep access until then. To take your data with you, "
                    "Settings → Workspace → Export data gives you CSV or JSON of every project, "
                    "which most tools can import.",
                ),
            ),
            Scenario(
                key="closing_business",
                requires="paying",
                cores=(
                    "Our company is winding down, we need to cancel everything and delete our "
                    "data.",
                    "{company} is closing at the end of the month. Please cancel and remove all "
                    "our data.",
                ),
                replies=(
                    "I'm sorry to hear that. I've cancelled the {plan_name} plan effective "
                    "{next_bill}, with no further charges. When you're ready, an Owner can "
                    "delete the workspace in Settings → Workspace → Delete workspace; data is "
                    "kept 30 days in case you need to restore it, then permanently removed.",
                ),
            ),
            Scenario(
                key="export_first",
                requires="paying",
                cores=(
                    "Before we cancel, how do we get all our data out?",
                    "Planning to cancel next month – what's the best way to export everything?",
                ),
                replies=(
                    "Good plan to export first. An Owner can go to Settings → Workspace → "
                    "Export data, choose CSV or JSON and tick *Include attachments* if you need "
                    "files; you'll get a download link by email. Once you have it, cancel in "
                    "Settings → Billing → Cancel plan – access continues until {next_bill}.",
                ),
            ),
        ),
    ),
    # ------------------------------------------------------------------ feature requests
    "feature_request": IntentWording(
        subjects=(
            "Feature request",
            "Suggestion",
            "Idea for Acme Cloud",
            "Would love this feature",
            "Product feedback",
        ),
        openers=(
            "We love Acme Cloud, one suggestion though.",
            "Small feature request.",
            "Not urgent, just an idea.",
            "Our team has been asking for this.",
            "",
        ),
        closers=(
            "Is this on the roadmap?",
            "Would make our lives much easier.",
            "Thanks for considering it!",
            "",
        ),
        sentiments=(Sentiment.POSITIVE, Sentiment.NEUTRAL, Sentiment.NEUTRAL),
        priorities=((Priority.LOW, 70), (Priority.NORMAL, 30)),
        tags=("feature-request",),
        scenarios=(
            Scenario(
                key="dark_mode",
                cores=(
                    "It would be great to have a dark mode.",
                    "Any plans for a dark theme? My eyes would thank you.",
                ),
                replies=(
                    "Thanks for the suggestion, {first}! Dark mode is one of our most requested "
                    "features and it's on the roadmap for early next year. I've added {company} "
                    "to the request so you're notified when it's in beta.",
                ),
            ),
            Scenario(
                key="gantt",
                cores=(
                    "Any plans for a Gantt or timeline view?",
                    "We really need a timeline view to plan projects.",
                ),
                replies=(
                    "Thanks, {first}! A timeline view is in development. Until then, many "
                    "teams use a board grouped by due week, or the Jira integration for "
                    "roadmaps. I've logged your vote so you'll hear when it's available.",
                ),
            ),
            Scenario(
                key="bulk_edit",
                cores=(
                    "Can you add bulk editing of due dates?",
                    "Please let us change the assignee of many tasks at once.",
                ),
                replies=(
                    "Good news: you can already bulk-move tasks by Shift-clicking and using "
                    "**Move to…**. Bulk editing of due dates and assignees isn't there yet, so "
                    "I've passed your request to the product team and linked it to {company}.",
                ),
            ),
            Scenario(
                key="scheduled_reports",
                cores=(
                    "Could reports be emailed as a PDF every Monday?",
                    "It would be really useful to schedule report emails to our managers.",
                ),
                replies=(
                    "Thanks for the idea! Scheduled PDF reports aren't available yet, though "
                    "scheduled CSV exports are (Export → Email me the file). I've recorded your "
                    "request with the reporting team.",
                ),
            ),
            Scenario(
                key="outlook",
                cores=(
                    "Please add an Outlook calendar integration.",
                    "Would be great if due dates synced to Outlook.",
                ),
                replies=(
                    "Thanks, {first}. There's no native Outlook calendar sync yet; meanwhile "
                    "the iCal feed under Settings → Notifications → Calendar works with "
                    "Outlook. I've added your vote to the Outlook integration request.",
                ),
            ),
            Scenario(
                key="custom_fields_export",
                cores=(
                    "Custom fields should be included in the CSV export.",
                    "Can exports include our custom fields? We need them for reporting.",
                ),
                replies=(
                    "Custom fields are included if you add them as columns in the report "
                    "before exporting (Columns → Custom fields). Exporting them from the "
                    "project view isn't supported yet – I've logged that for the team.",
                ),
            ),
            Scenario(
                key="mobile_offline",
                cores=(
                    "Is there any chance of an offline mode for the mobile app?",
                    "Our field team needs to use the app without signal.",
                ),
                replies=(
                    "Thanks for explaining the field team's needs. Offline mode for the mobile "
                    "app is on our longer-term roadmap; I've added {company}'s use case to it "
                    "so the team can prioritise.",
                ),
            ),
            Scenario(
                key="scim_pro",
                cores=(
                    "Please support SCIM provisioning on the Pro plan, not just Enterprise.",
                    "We'd love SSO on Pro – Enterprise is too big for us.",
                ),
                replies=(
                    "Thanks for the feedback, {first}. SSO and SCIM are Enterprise features "
                    "today, and I've shared your request with our product and pricing team. "
                    "If it helps, your account manager can talk through a smaller Enterprise "
                    "package.",
                ),
            ),
        ),
    ),
    # ------------------------------------------------------------------ complaints (human)
    "complaint": IntentWording(
        subjects=(
            "Very disappointed",
            "Complaint",
            "UNACCEPTABLE",
            "This is not OK",
            "Terrible service",
            "Considering cancelling",
            "Escalation – {company}",
            "Fed up",
        ),
        openers=(
            "I'm extremely frustrated.",
            "I've had enough.",
            "This is the last straw.",
            "Honestly, I can't believe this.",
            "",
        ),
        closers=(
            "If this isn't fixed by Friday we're moving to a competitor.",
            "Our contract is up for renewal and right now I would not renew.",
            "I want to speak to a manager.",
            "I'll be leaving a public review about this.",
            "We have {seats} people who can't work. Fix it.",
            "We are seriously considering cancelling.",
        ),
        sentiments=(Sentiment.ANGRY,),
        priorities=((Priority.URGENT, 40), (Priority.HIGH, 60)),
        tags=("complaint", "churn-risk"),
        resolve_rate=0.45,
        escalate_rate=0.5,
        polite=False,
        thanks=(
            "Fine. I'll wait for the call.",
            "OK. I expect this to actually be fixed this time.",
            "Thank you for finally taking this seriously.",
            "Appreciated. We'll see.",
            "That's a start. Please keep me posted.",
        ),
        channels=(("email", 60), ("phone", 15), ("chat", 25)),
        scenarios=(
            Scenario(
                key="outages",
                requires="paying",
                cores=(
                    "This is the third time this month Acme Cloud has gone down during our "
                    "working hours. Unacceptable.",
                    "We lost a whole afternoon of work because of your outage {when}.",
                    "Your service keeps going down and nobody tells us anything!",
                ),
                replies=(
                    "{first}, I'm truly sorry. Three disruptions in a month is not the "
                    "reliability you pay for, and I understand the frustration. I've escalated "
                    "this to our support lead, who will call you today, and applied a credit of "
                    "one month of {plan_name} ({price}) to your next invoice. The incident "
                    "reports are on status.acmecloud.com, and you can subscribe there to get "
                    "alerts the moment anything happens.",
                ),
            ),
            Scenario(
                key="slow_support",
                requires="paying",
                cores=(
                    "I have been waiting FIVE days for a reply to a simple billing question. Is "
                    "anyone there?",
                    "Nobody answers my emails. What am I paying {price} a month for??",
                    "Third time asking the same question, still no real answer.",
                ),
                replies=(
                    "You're right, {first}, and I apologise – a five-day wait is well outside "
                    "what we promise on {plan_name}. I've taken ownership of your request "
                    "personally and will stay on it until it's resolved; our support lead has "
                    "also been informed. You'll have a full answer from me today.",
                ),
            ),
            Scenario(
                key="broken_update",
                requires="paying",
                cores=(
                    "Your last update broke our board and nobody seems to care. We pay {price} "
                    "a month for this??",
                    "I've reported the same bug twice and got canned responses both times. Fix "
                    "it or we walk.",
                    "Every release breaks something. I'm sick of being your beta tester.",
                ),
                replies=(
                    "{first}, I'm sorry – you've had to report this more than once, and the "
                    "replies you got didn't help. I've escalated it to the engineering lead "
                    "with your reports attached and marked {company} as a priority account. "
                    "I'll update you personally within 24 hours with a fix date or a working "
                    "workaround.",
                ),
            ),
            Scenario(
                key="billing_anger",
                requires="paying",
                cores=(
                    "Charged AGAIN after I was promised a refund. I am done with this company.",
                    "You took {amount} from our account without asking. This is a scam.",
                    "Honestly your billing has been a mess and I'm seriously considering "
                    "cancelling.",
                ),
                replies=(
                    "I'm very sorry, {first} – that should not have happened. I've reviewed "
                    "{invoice} ({amount}), stopped any further collection attempts while we "
                    "sort this out and escalated it to our billing manager, who will contact "
                    "you today with a full explanation and a refund of anything charged in "
                    "error.",
                ),
            ),
        ),
    ),
    # ------------------------------------------------------------------ contracts (human)
    "contract_negotiation": IntentWording(
        subjects=(
            "Enterprise renewal",
            "Contract terms",
            "Pricing for {seat_target} seats",
            "Renewal discussion – {company}",
            "Volume discount",
            "Procurement questions",
        ),
        openers=(
            "I'm leading our renewal on the {company} side.",
            "Procurement asked me to reach out.",
            "Ahead of our renewal,",
            "",
        ),
        closers=(
            "Can we set up a call this week?",
            "We need an answer before our budget meeting.",
            "Please send a revised quote.",
            "",
        ),
        sentiments=(Sentiment.NEUTRAL,),
        priorities=((Priority.HIGH, 70), (Priority.NORMAL, 30)),
        tags=("enterprise", "sales"),
        resolve_rate=0.4,
        escalate_rate=0.6,
        channels=(("email", 90), ("phone", 10)),
        scenarios=(
            Scenario(
                key="volume",
                requires="enterprise",
                cores=(
                    "We're planning to grow from {seats} to {seat_target} seats next quarter – "
                    "what volume discount can you offer?",
                    "Is there flexibility on the per-seat price if we commit to {seat_target} "
                    "seats for {term_years} years?",
                    "We want to consolidate three workspaces into one enterprise agreement with "
                    "about {seat_target} seats.",
                ),
                replies=(
                    "Thanks, {first} – that's great to hear. Volume pricing and multi-year terms "
                    "are handled by your account manager, {owner}, so I've passed this on with "
                    "the details ({seat_target} seats, {term_years}-year term). {owner_first} "
                    "will reach out within one business day to set up a call. For reference, "
                    "your current agreement covers {seats} seats.",
                ),
            ),
            Scenario(
                key="discount",
                requires="enterprise",
                cores=(
                    "Our renewal is coming up and procurement is asking for a {discount}% "
                    "discount on a {term_years}-year term.",
                    "Before we renew, we need a cap on price increases written into the contract.",
                    "Can you match a competitor's quote that's {discount}% below yours?",
                ),
                replies=(
                    "Thanks for the heads-up on the renewal, {first}. Discounts and contract "
                    "terms are agreed with your account manager, {owner}, who has the full "
                    "picture of {company}'s agreement. I've forwarded your message and "
                    "{owner_first} will be in touch shortly to discuss.",
                ),
            ),
            Scenario(
                key="terms",
                requires="enterprise",
                cores=(
                    "Can we move to net-60 payment terms? Our finance team doesn't do net-30.",
                    "Legal has a few redlines on your DPA and MSA – who should we send them to?",
                    "We'd like a custom SLA with 99.95% uptime and higher service credits in the "
                    "new contract.",
                ),
                replies=(
                    "Thanks, {first}. Changes to payment terms, the DPA/MSA and the SLA are "
                    "negotiated by your account manager, {owner}, together with our legal team. "
                    "I've shared your request with {owner_first}, who will come back to you "
                    "with next steps this week.",
                ),
            ),
        ),
    ),
    # ------------------------------------------------------------------ out of scope (human)
    "out_of_scope": IntentWording(
        subjects=(
            "Quick question",
            "Question",
            "Advice needed",
            "Can you help with this?",
            "random question sorry",
            "Need some advice",
        ),
        openers=(
            "Not sure if you can help with this, but",
            "Random one for you.",
            "Slightly off-topic question.",
            "",
            "",
        ),
        closers=("Any advice appreciated.", "Thanks anyway!", "", "What would you recommend?"),
        sentiments=(None, Sentiment.NEUTRAL),
        priorities=((Priority.LOW, 80), (Priority.NORMAL, 20)),
        tags=("out-of-scope",),
        scenarios=(
            Scenario(
                key="legal_tax",
                weight=2,
                cores=(
                    "Do we need to charge VAT to our own customers in Germany? We're a UK company.",
                    "Is it legal for us to record our customers' phone calls without telling them?",
                    "How should I book the Acme Cloud subscription in our accounts, as software "
                    "or as a service?",
                    "Can you review our employment contract template? We keep HR docs in Acme "
                    "Cloud.",
                    "Should we incorporate in Delaware or stay an LLC? Asking for tax reasons.",
                    "Do we need a DPA with our own clients under GDPR?",
                ),
                replies=(
                    "Thanks for asking, {first}. I'm afraid we can't give legal or tax advice – "
                    "that really needs someone who knows {company}'s situation, like your "
                    "accountant or legal counsel. What we can do is explain anything that "
                    "appears on your Acme Cloud invoices or in our own policies, so just ask if "
                    "that would help.",
                ),
            ),
            Scenario(
                key="unrelated",
                weight=2,
                cores=(
                    "Can you recommend a good laptop for our new designers?",
                    "My Excel VLOOKUP keeps returning #N/A, can you help me fix the formula?",
                    "What's the best CRM for a company our size?",
                    "Our office printer stopped working, can you take a look?",
                    "Do you know a good accountant in Manchester?",
                    "can you help me write a job ad for a project manager",
                ),
                replies=(
                    "Thanks for reaching out, {first}! That's outside what Acme Cloud support "
                    "can help with, so I don't want to give you a half-answer. If there's "
                    "anything about your Acme Cloud workspace, though, I'm happy to help.",
                ),
            ),
        ),
    ),
}

# CRM notes account managers and agents leave: (audience, template). Audience is "any",
# "paying", "enterprise", "failed" or "upgrade".
CRM_NOTES: tuple[tuple[str, str], ...] = (
    ("any", "Kickoff call with {first}: main use case is client onboarding boards."),
    ("any", "{first} asked about the mobile app; sent the download links."),
    ("any", "Low usage in the last 30 days – check in before renewal."),
    ("paying", "Interested in annual billing; sent pricing for {plan_name}."),
    ("paying", "Champion: {name}. Very responsive, prefers email over calls."),
    ("paying", "Expansion opportunity: another team of ~{count} people is evaluating."),
    ("paying", "Complained about an outage; offered a 10% credit (accepted)."),
    ("enterprise", "Renewal due {next_bill}. Procurement requires a PO for every order."),
    ("enterprise", "Security review passed; DPA signed with two redlines."),
    ("enterprise", "QBR held with {first}: wants SSO for the contractors' workspace."),
    ("enterprise", "Asked about volume pricing above 250 seats; flagged to {owner}."),
    ("failed", "Card declined on {invoice}; automatic reminder sent, follow up if still unpaid."),
    ("upgrade", "Upgraded from {old_plan} to {new_plan} on {upgrade_date} (mid-cycle, prorated)."),
)
