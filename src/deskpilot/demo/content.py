"""Help-center articles for the demo product, Acme Cloud (a fictional B2B work-management SaaS).

Plain text data: the generator turns each entry into an `Article`. The facts here (prices, seat
allowances, proration rule, retry schedule, refund window) are the same ones the generator uses
for invoices and agent replies, so the demo knowledge base and the demo billing data agree.
"""

from __future__ import annotations

# (slug, category, Markdown body). The body's first line is "# {title}".
ARTICLES: tuple[tuple[str, str, str], ...] = (
    # ------------------------------------------------------------------ sign-in & security
    (
        "reset-your-password",
        "Sign-in & security",
        """# Reset your password

If you forgot your password or it stopped working, you can set a new one yourself in about a
minute. Support agents cannot see or tell you your current password.

## Steps

1. Go to **app.acmecloud.com/login** and click **Forgot password?** under the sign-in button.
2. Enter the email address you sign in with. Use your work address, not a personal alias.
3. Open the email titled **Reset your Acme Cloud password** and click **Choose a new password**.
4. Enter a new password of at least 12 characters. It cannot match any of your last five.
5. Click **Save and sign in**. You are signed out of every other device at the same time.

## Good to know

- The reset link is valid for **60 minutes** and works once. Requesting a new link cancels the
  previous one, so always use the most recent email.
- If your workspace signs in with SSO (Okta, Azure AD or Google Workspace), you cannot reset the
  password in Acme Cloud. Use **Sign in with SSO** and reset the password with your identity
  provider, or ask your IT team.
- After five wrong passwords in a row the account is locked for 30 minutes. See
  *Unlock a locked account*.

## Still stuck?

If the email does not arrive within five minutes, follow *The password reset email never arrives*.
If you can receive the email but the link says it has expired, request a fresh link and open it
in the same browser you requested it from.
""",
    ),
    (
        "password-reset-email-not-arriving",
        "Sign-in & security",
        """# The password reset email never arrives

Reset emails are normally delivered within a minute. When one does not show up, the cause is
almost always the address used or a mail filter, not your account.

## Check these first

1. **Look in spam, junk, quarantine and the Promotions or Updates tabs.** Search for
   `no-reply@acmecloud.com`.
2. **Confirm the address.** Enter exactly the address you sign in with. If you were invited by a
   colleague, it is the address the invitation was sent to. We do not tell you whether an address
   has an account, to protect your privacy, so a typo fails silently.
3. **Wait five minutes, then request one more link.** Each new request cancels older links, so do
   not click several buttons in a row.

## If your company filters email

Corporate gateways (Mimecast, Proofpoint, Microsoft Defender) sometimes hold automated email.
Ask your IT team to allow-list `acmecloud.com` and the sending IP range listed on our status
page, then request a new link.

## If you use SSO

Workspaces that sign in with SSO do not send password reset emails. Click **Sign in with SSO**
on the login page and enter your work email; you are sent to your identity provider.

## Ask support to help

If none of this works, write to support from the address you sign in with and tell us the time
you requested the link. We can check the delivery log, confirm whether the message was bounced
or blocked, and trigger a manual reset after verifying your identity.
""",
    ),
    (
        "unlock-a-locked-account",
        "Sign-in & security",
        """# Unlock a locked account

To protect you from password-guessing attacks, Acme Cloud locks an account after **five failed
sign-in attempts in a row**. The login page then shows *"Your account is temporarily locked"*.

## What happens

- The lock lasts **30 minutes** and then clears on its own. You do not need to contact anyone.
- Failed attempts from a password manager with an old password count too, so update the saved
  password before trying again.
- The lock applies to password sign-in only. Existing sessions on other devices keep working.

## Unlock it sooner

1. Click **Forgot password?** on the login page and reset your password. A successful reset
   clears the lock immediately.
2. Or ask a workspace **Owner** or **Admin** to open **Settings → Team**, find you and choose
   **Unlock sign-in** from the member menu.
3. If you are the only Owner, contact support from the address you sign in with. We verify your
   identity and clear the lock for you.

## If you did not make those attempts

A lock you did not cause may mean someone tried to guess your password. After signing in:

1. Change your password to one you do not use anywhere else.
2. Turn on two-factor authentication in **Settings → Security**.
3. Review **Settings → Security → Active sessions** and sign out any device you do not recognise.

Enterprise admins can see failed sign-ins per user in the audit log.
""",
    ),
    (
        "set-up-two-factor-authentication",
        "Sign-in & security",
        """# Set up two-factor authentication (2FA)

Two-factor authentication asks for a six-digit code from your phone in addition to your
password. Owners can require it for the whole workspace.

## Turn on 2FA

1. Open **Settings → Security** and click **Enable two-factor authentication**.
2. Scan the QR code with an authenticator app such as 1Password, Google Authenticator, Microsoft
   Authenticator or Authy. If the QR code does not appear, click **Can't scan? Enter a key** and
   type the setup key into the app instead.
3. Enter the six-digit code the app shows and click **Verify**.
4. Download or copy your **10 recovery codes** and store them somewhere safe, outside Acme Cloud.
   Each code works once.

## Require 2FA for everyone

Owners can go to **Settings → Security → Workspace policy** and switch on **Require 2FA**.
Members without 2FA are asked to set it up at their next sign-in.

## Tips

- Codes are time based. If codes are rejected, make sure your phone's clock is set automatically.
- You can register a new phone at any time from **Settings → Security → Change device**; you need
  a current code or a recovery code to do it.
- SMS codes are not supported, because SIM swapping makes them unsafe.

If you have lost your phone, read *Lost your 2FA device? Use recovery codes*.
""",
    ),
    (
        "lost-two-factor-device-recovery-codes",
        "Sign-in & security",
        """# Lost your 2FA device? Use recovery codes

If your phone was lost, replaced or reset and you can no longer get codes, you can still get back
into your account.

## Option 1: use a recovery code

1. Sign in with your email and password.
2. On the code screen, click **Use a recovery code**.
3. Enter one of the ten codes you saved when you set up 2FA. Each code works once.
4. Go to **Settings → Security → Change device** and register your new phone straight away.
5. Generate a fresh set of recovery codes and store them safely.

## Option 2: ask a workspace admin

An **Owner** or **Admin** can open **Settings → Team**, select you and choose **Reset 2FA**.
You then sign in with your password only and are asked to set up 2FA again.

## Option 3: identity verification by support

If you are the only Owner and have no recovery codes, contact support from the email address on
the account. To protect your data we will:

1. Confirm the request from a second Owner or a billing contact when one exists.
2. Ask for the last four digits of the card on file or a recent invoice number.
3. Reset 2FA within **two business days** of successful verification.

We never reset 2FA on the strength of a phone call or chat alone. It can feel slow, but it is
what stops someone else taking over your account.
""",
    ),
    (
        "sign-in-with-sso",
        "Sign-in & security",
        """# Sign in with single sign-on (SSO)

Enterprise workspaces can let members sign in with their company identity provider (Okta, Azure
AD / Entra ID, Google Workspace, OneLogin or any SAML 2.0 provider).

## Signing in

1. Go to **app.acmecloud.com/sso**, or click **Sign in with SSO** on the login page.
2. Enter your work email. Acme Cloud recognises the domain and sends you to your provider.
3. Sign in there as usual. You come back to Acme Cloud already signed in.

## Common errors

- **"No SSO connection for this domain"** – your workspace has not verified your email domain
  yet, or you used a personal address. Ask your admin which address to use.
- **"User is not assigned to this application"** – your IT team must assign the Acme Cloud app
  to you in the identity provider.
- **"SAML response signature invalid"** – the certificate in Acme Cloud no longer matches your
  provider, usually after the provider rotated it. An admin must upload the new certificate in
  **Settings → Security → SSO**.

## Passwords and SSO

When SSO is enforced, Acme Cloud passwords are disabled for members, so password reset emails
are not sent. Owners keep a password as a break-glass login in case the identity provider is
down.

Admins: see *Set up SAML single sign-on* to configure the connection.
""",
    ),
    (
        "change-your-login-email",
        "Sign-in & security",
        """# Change the email address you sign in with

Your email address is your username. You can change it without losing any work.

## Steps

1. Open **Settings → Profile**.
2. Click **Change** next to your email address.
3. Enter the new address and your current password.
4. Open the confirmation email sent to the **new** address and click **Confirm change**.
5. From now on, sign in with the new address. A notice is sent to the old address too.

## Things to know

- The confirmation link is valid for 24 hours.
- If your workspace restricts sign-ups to certain domains (for example `@yourcompany.com`), the
  new address must use one of them.
- In SSO workspaces, your email comes from the identity provider. Ask your IT team to change it
  there; Acme Cloud updates it at your next sign-in.
- Changing your sign-in email does not change the billing email. Owners can change that in
  **Settings → Billing → Billing contact**.

## Lost access to the old address?

If you left a company or your old mailbox was deleted and you cannot sign in, a workspace Owner
can update your address from **Settings → Team**. If you were the only Owner, contact support;
we will verify ownership (for example with a recent invoice number) before making the change.
""",
    ),
    # ------------------------------------------------------------------ billing
    (
        "plans-and-pricing",
        "Billing",
        """# Plans and pricing

Acme Cloud has four plans. All prices are in US dollars, per workspace, billed monthly.

| Plan | Price | Seats included | Extra seat |
|------|-------|----------------|------------|
| Free | $0 | 3 | — |
| Starter | $29/month | 3 | $9/month |
| Pro | $79/month | 10 | $12/month |
| Enterprise | from $499/month | 50 | $10/month |

## What each plan adds

- **Free**: up to 3 projects, boards, basic reports, 1 GB storage.
- **Starter**: unlimited projects, CSV import and export, Slack and Teams integrations, 20 GB.
- **Pro**: automations, Salesforce, HubSpot and Jira integrations, API access, advanced reports,
  guest access, 200 GB.
- **Enterprise**: SAML SSO, audit log, 99.9% uptime SLA with service credits, a named account
  manager, custom contract terms and invoicing by purchase order.

## Billing basics

1. Your billing date is the day you first subscribed; every invoice covers one month from it.
2. Paying yearly costs 10 months' price for 12 months of service.
3. Upgrades apply at once and are prorated; downgrades apply at the end of the cycle. See *How
   proration works*.
4. Sales tax or VAT is added where required and shown as a separate line.

Enterprise pricing for more than 200 seats, multi-year terms or custom terms is agreed with your
account manager.
""",
    ),
    (
        "understanding-your-invoice",
        "Billing",
        """# Understanding your invoice

Each month Acme Cloud issues an invoice on your billing date. Here is how to read it.

## The header

- **Invoice number**, for example `INV-2026-004213`. Quote it whenever you contact us about a
  charge.
- **Issue date** and **status**: *paid*, *open* (payment pending), *failed* (the card was
  declined) or *refunded*.

## The lines

1. **Plan line** – for example *Pro plan (monthly)*, $79.00, with the service period it covers.
2. **Additional seats** – seats above your plan's allowance, charged per seat.
3. **Proration lines** – only after a mid-cycle upgrade. You see a *negative* line, a credit for
   the unused days of the old plan, and a *positive* line for the same days on the new plan.
4. **Tax** – VAT or sales tax where it applies.

## Why is my invoice higher than the plan price?

The usual reasons are:

- you upgraded during the previous cycle, so the invoice carries proration lines on top of the
  next month's price;
- you added seats above your allowance;
- tax was added for your billing country.

The invoice total is the sum of all lines. If something still looks wrong, reply to the invoice
email or contact support with the invoice number and we will go through it line by line.

You can download every invoice as a PDF from **Settings → Billing → Invoices**.
""",
    ),
    (
        "how-proration-works",
        "Billing",
        """# How proration works when you change plans

When you **upgrade** in the middle of a billing cycle you get the new plan immediately, and you
pay only for the days you actually use it.

## The calculation

Proration is calculated by days, rounded to the cent:

1. **Days remaining** = days from the upgrade date to the end of the current cycle.
2. **Credit for unused time** = old plan price × days remaining ÷ days in the cycle. It appears as
   a *negative* line.
3. **Charge for the remaining time** = new plan price × days remaining ÷ days in the cycle.
4. Both lines are added to your **next** invoice, together with a full month of the new plan.

## Example

You are on Starter ($29) with a cycle from March 10 to April 10 (31 days) and upgrade to Pro
($79) on March 25, leaving 16 days.

- Unused time on Starter: −$29 × 16 ÷ 31 = **−$14.97**
- Remaining time on Pro: $79 × 16 ÷ 31 = **$40.77**
- Pro plan, April 10 – May 10: **$79.00**

The April 10 invoice totals **$104.80**. It is higher than the Pro price once only; from May
on you pay $79.

## Downgrades and seats

- **Downgrades** take effect at the end of the current cycle. There is no credit for the rest of
  the cycle, and you keep the higher plan until then.
- **Adding seats** mid-cycle is prorated the same way; removing seats takes effect next cycle.
""",
    ),
    (
        "upgrade-or-downgrade-your-plan",
        "Billing",
        """# Upgrade or downgrade your plan

Only workspace **Owners** and **Billing admins** can change the plan.

## Upgrade

1. Open **Settings → Billing** and click **Change plan**.
2. Pick the new plan and review the summary. It shows the prorated amount that will be added to
   your next invoice.
3. Click **Confirm upgrade**. New features are available straight away.

## Downgrade

1. Open **Settings → Billing → Change plan** and pick a lower plan.
2. Review what you will lose. For example, automations stop running when you leave Pro, and
   members above the new seat allowance become read-only guests.
3. Click **Schedule downgrade**. It takes effect on your next billing date; until then nothing
   changes.

You can cancel a scheduled downgrade any time before the billing date from the same page.

## Moving to Enterprise

Enterprise needs a short order form because it includes an SLA and contract terms. Click
**Talk to sales** on the billing page, or ask support to connect you with an account manager.
Existing Pro time is credited on your first Enterprise invoice.

## Related

- *How proration works when you change plans*
- *Adding and removing seats*
- *Cancel your subscription*
""",
    ),
    (
        "adding-and-removing-seats",
        "Billing",
        """# Adding and removing seats

Every plan includes a number of seats: Starter 3, Pro 10, Enterprise 50. A seat is one member who
can sign in; guests on Pro and Enterprise are free.

## Add seats

1. Open **Settings → Billing → Seats**.
2. Increase the number and click **Update seats**.
3. Seats added mid-cycle are prorated: you pay the seat price for the days left in the cycle,
   shown as a separate line on your next invoice.

Inviting a member when all seats are taken prompts Owners to add a seat; other members see a
message asking them to contact an Owner.

## Remove seats

1. First remove or deactivate members in **Settings → Team**, so the seats are free.
2. Lower the number in **Settings → Billing → Seats**.
3. The lower number applies from your next billing date. Seats are not refunded for the current
   cycle.

## Extra seat prices

- Starter: $9 per seat per month
- Pro: $12 per seat per month
- Enterprise: $10 per seat per month, or as agreed in your contract

## Where to see it

Each invoice shows *Additional seats* as its own line with the quantity, so you can check the
count against your team list.
""",
    ),
    (
        "update-your-payment-method",
        "Billing",
        """# Update your payment method

You can pay by card (Visa, Mastercard, American Express) on every plan. Enterprise workspaces can
also pay by bank transfer against an invoice.

## Change the card

1. Open **Settings → Billing → Payment method**.
2. Click **Replace card** and enter the new card details.
3. Complete the bank's verification (3-D Secure) if it appears.
4. Click **Save**. The new card is used for the next invoice and for any failed invoice we retry.

We never store full card numbers; they are held by our payment processor.

## Update billing details

On the same page you can change:

- the **billing contact** that receives invoices and receipts;
- the **company name and address** printed on invoices;
- your **VAT or tax ID** (see *Tax invoices and VAT IDs*).

Changes apply to future invoices. To have a past invoice reissued with new details, contact
support with the invoice number.

## Paying by bank transfer

Enterprise customers can ask their account manager to switch to invoice payment with net-30
terms. The bank details are printed on each invoice; please include the invoice number as the
payment reference so we can match it.
""",
    ),
    (
        "failed-payments-and-retries",
        "Billing",
        """# Failed payments and retries

If a charge is declined, the invoice is marked **failed** and your workspace becomes
**past due**. You keep full access while we retry.

## What happens next

1. We email the billing contact immediately with the reason the bank gave, when it gives one.
2. We retry the card automatically **1, 3 and 7 days** after the first attempt.
3. If all retries fail, the workspace stays past due. After **14 days** it switches to read-only
   until the invoice is paid. No data is deleted.

## Fix it now

1. Open **Settings → Billing → Payment method** and update or replace the card.
2. Go to **Settings → Billing → Invoices**, find the failed invoice and click **Pay now**.
3. The workspace returns to active as soon as the payment succeeds.

## Common decline reasons

- **Insufficient funds** or a card limit reached.
- **Expired card** – the most common cause after a new card is issued.
- **Do not honor** – the bank blocked the charge, often because it was a foreign transaction.
  Call the bank and ask it to allow charges from *ACME CLOUD*.
- **Authentication required** – click *Pay now* to complete 3-D Secure.

A failed attempt may show as a pending charge on your statement for a few days; it is released
by your bank and you are not charged twice.
""",
    ),
    (
        "refund-policy",
        "Billing",
        """# Refund policy

We want you to pay only for what you use. This is how refunds work.

## When we refund

- **Monthly plans**: a charge can be refunded in full within **14 days** of the invoice date if
  it was unexpected, for example when you meant to cancel before the renewal and the workspace was
  not used since.
- **Duplicate charges** are always refunded in full.
- **Annual plans**: within 30 days of the renewal, the unused months are refunded.
- **Service credits**: Enterprise customers receive credits under the SLA when monthly uptime
  falls below 99.9%.

## When we usually don't

- Partial months after a cancellation. Cancelling stops future renewals and you keep access until
  the end of the paid period.
- Seats removed in the middle of a cycle.
- Charges older than 60 days, except duplicates.

## How to request a refund

1. Contact support from the workspace Owner or billing contact address.
2. Include the **invoice number** (for example `INV-2026-004213`) and the reason.
3. We reply within one business day. Approved refunds go back to the original card and take
   **5–10 business days** to appear, depending on your bank.

Refunded invoices are marked *refunded* in **Settings → Billing → Invoices**, and a credit note
is emailed to the billing contact.
""",
    ),
    (
        "download-invoices-and-receipts",
        "Billing",
        """# Download invoices and receipts

Every invoice and receipt is available in Acme Cloud as a PDF.

## Download a single invoice

1. Open **Settings → Billing → Invoices**.
2. Find the invoice by number or date. The status column shows *paid*, *open*, *failed* or
   *refunded*.
3. Click the invoice, then **Download PDF**. Paid invoices also have a **Receipt** button.

## Get invoices by email automatically

Invoices are emailed to the **billing contact** on the issue date. To send them to your finance
team instead:

1. Open **Settings → Billing → Billing contact**.
2. Enter the address, for example `ap@yourcompany.com`. You can add up to three addresses.
3. Click **Save**. Future invoices go to the new addresses.

## Download many at once

Click **Export** above the invoice list to download a ZIP with all invoices from a date range,
plus a CSV summary for your accounting system.

## Who can see invoices

Owners and Billing admins. Members do not see prices or invoices. If you need access, ask an
Owner to give you the Billing admin role in **Settings → Team**.

Need an invoice reissued with a different company name or a VAT ID? See *Tax invoices and VAT
IDs*.
""",
    ),
    (
        "tax-invoices-and-vat-ids",
        "Billing",
        """# Tax invoices and VAT IDs

Acme Cloud issues invoices that meet VAT and GST requirements in the EU, UK, Australia and Canada.

## Add your VAT or tax ID

1. Open **Settings → Billing → Company details**.
2. Enter your legal company name, address and **VAT / tax ID**.
3. Click **Save**. We validate EU VAT numbers with VIES, which can take a few seconds.

With a valid EU VAT ID outside Ireland, invoices use the **reverse charge** and show no VAT line.
Without one, VAT is charged at your country's rate.

## Reissue a past invoice

Details added today apply to future invoices. To correct an earlier invoice:

1. Contact support with the **invoice number** and the correct details.
2. We void the original and issue a corrected invoice with the same amount and a new number.
3. If VAT was charged but should have been reverse charged, we refund the VAT amount.

## US sales tax

US customers are charged sales tax where we are registered to collect it. Tax-exempt
organisations can send their exemption certificate to support.

## What we can't help with

Our team can explain what appears on your invoice, but we cannot give tax advice, such as
whether you should register for VAT or how to book an expense. Please ask your accountant.
""",
    ),
    (
        "switch-to-annual-billing",
        "Billing",
        """# Switch to annual billing

Paying yearly costs **10 months' price for 12 months** of service: two months free.

## Switch from monthly to annual

1. Open **Settings → Billing** and click **Change billing period**.
2. Choose **Yearly**. The summary shows the yearly price and a credit for the unused part of your
   current monthly cycle.
3. Click **Confirm**. You are charged the yearly price minus the credit straight away, and your
   new billing date is today.

## Seats on annual plans

Seats added during the year are prorated to the end of the annual term. Seats removed take effect
at renewal.

## Switch back to monthly

You can switch back at renewal. Go to **Settings → Billing → Change billing period** and pick
**Monthly** any time before the renewal date; the change is scheduled.

## Refunds on annual plans

Within 30 days of an annual charge, the unused months can be refunded. After that the plan runs
to the end of the term. See *Refund policy*.

## Enterprise

Enterprise contracts are usually annual or multi-year with invoicing by purchase order. Talk to
your account manager about terms.
""",
    ),
    (
        "enterprise-plan-and-contracts",
        "Billing",
        """# Enterprise plan, contracts and purchase orders

Enterprise is for organisations that need SSO, an SLA, an audit log and contract terms.

## What is included

- 50 seats, then $10 per seat per month (volume pricing above 200 seats)
- SAML SSO and SCIM user provisioning
- 99.9% monthly uptime SLA with service credits
- Audit log with 12 months of history
- A named account manager and priority support (1-hour response to urgent tickets)

## Contract terms

1. Standard terms are annual, billed yearly in advance, net-30.
2. Multi-year terms, volume discounts, custom payment terms and changes to our Data Processing
   Agreement are negotiated by your **account manager**, not by support.
3. Our security questionnaire, SOC 2 report and DPA are available on request under NDA.

## Purchase orders

1. Send your PO to your account manager or `billing@acmecloud.com`.
2. We issue an invoice that references the PO number within two business days.
3. Seats ordered on a PO are activated when the order is countersigned, not when it is paid.

## Adding seats mid-term

Seats added during the term are co-termed: you pay for the remaining months at your contracted
seat price, and everything renews on the same date.

To start a conversation about pricing or terms, click **Talk to sales** in **Settings → Billing**
or ask support to connect you with your account manager.
""",
    ),
    # ------------------------------------------------------------------ getting started
    (
        "set-up-your-workspace",
        "Getting started",
        """# Set up your workspace

A workspace holds your team's projects, boards, reports and settings. Setting it up well takes
about ten minutes.

## Steps

1. **Name and address.** Open **Settings → Workspace**. Set the workspace name and your web
   address, for example `northwind.acmecloud.com`. Changing the address later breaks old links.
2. **Logo and colours.** Upload a square logo (at least 256×256 px) so members recognise the
   workspace.
3. **Time zone and week start.** These drive due dates, reports and automation schedules.
4. **Allowed email domains.** Add your company domain so colleagues can join without an invite.
5. **Invite your team.** See *Invite your team*.
6. **Create your first project.** Use a template (Client onboarding, Sprint planning, Content
   calendar) or start blank.
7. **Connect your tools.** Slack or Microsoft Teams for notifications is the most common first
   integration.

## Roles to decide early

- **Owner** – full control including billing. Have at least two.
- **Admin** – manages members, integrations and settings, not billing.
- **Member** – works in projects.
- **Guest** – sees only the projects they are invited to (Pro and Enterprise).

## Importing existing work

Moving from spreadsheets or another tool? See *Import data from a CSV file* before you create
projects by hand.
""",
    ),
    (
        "invite-your-team",
        "Getting started",
        """# Invite your team

Owners and Admins can invite people. On the Free and Starter plans, Members can invite too unless
an Owner switches this off.

## Invite by email

1. Open **Settings → Team** and click **Invite people**.
2. Enter one or more email addresses, separated by commas, or paste a list.
3. Choose a role: Admin, Member or Guest.
4. Optionally pick projects to add them to.
5. Click **Send invites**. Each person receives an email with a **Join workspace** button.

## Invite with a link

Click **Copy invite link** on the same page to share a link in chat. Anyone with an address on
your allowed domains can join with it. You can reset the link any time.

## Things to know

- Invitations are valid for **7 days**. Resend expired ones from the **Pending** tab.
- Each member uses a seat. If you are out of seats, Owners are asked to add one; see *Adding and
  removing seats*.
- Guests are free on Pro and Enterprise and see only the projects they are added to.
- In SSO workspaces with SCIM, people are added from your identity provider instead.

## If someone did not get the invite

Check their spam folder, then resend from the **Pending** tab. If the link says it has expired or
is invalid, see *Invite link expired or invalid*.
""",
    ),
    (
        "roles-and-permissions",
        "Getting started",
        """# Roles and permissions

Each person in a workspace has one role. Projects can add finer access on top.

## Workspace roles

| Role | Can do |
|------|--------|
| Owner | Everything, including billing, deleting the workspace and transferring ownership |
| Billing admin | Plans, invoices and payment methods; no project access by default |
| Admin | Members, integrations, API keys, security settings |
| Member | Create and edit projects they have access to |
| Guest | Only the projects they are invited to (Pro and Enterprise) |

## Change someone's role

1. Open **Settings → Team**.
2. Click the member's name and choose a new role from **Role**.
3. The change applies immediately; they may need to refresh the page.

Only Owners can make someone an Owner or a Billing admin.

## Project permissions

Inside a project, click **Share** to set each person or group to **Can view**, **Can comment**
or **Can edit**. Private projects are visible only to the people added to them, even for Admins,
but Owners can always recover access.

## Good practice

1. Keep at least two Owners so you are never locked out of billing.
2. Give finance staff the Billing admin role rather than Owner.
3. Review **Settings → Team** every quarter and remove people who have left.
""",
    ),
    (
        "connect-integrations",
        "Getting started",
        """# Connect integrations

Integrations bring Acme Cloud into the tools you already use. Admins and Owners manage them
from **Settings → Integrations**.

## Available integrations

- **Slack** and **Microsoft Teams** – notifications and creating tasks from messages (Starter+)
- **Google Drive**, **OneDrive** and **Dropbox** – attach files (all plans)
- **Salesforce** and **HubSpot** – link accounts and deals to projects (Pro+)
- **Jira** and **GitHub** – two-way sync of issues (Pro+)
- **Zapier** – connect thousands of other apps (Starter+)

## Connect an integration

1. Open **Settings → Integrations** and find the tool.
2. Click **Connect**. You are sent to the other tool to approve access.
3. Approve with an account that has admin rights in that tool.
4. Back in Acme Cloud, choose what to sync and click **Save**.

## Manage and disconnect

Each connected integration shows who connected it and when it last synced. Click **Manage** to
change settings, or **Disconnect** to remove it; disconnecting stops syncing but keeps data that
was already copied.

## If something goes wrong

- *"Not available on your plan"* – the integration needs a higher plan.
- *The page is blank after connecting* – see *Integrations page blank after connecting*.
- *Sync stopped* – the person who connected the tool may have left. Reconnect it with a current
  admin account.
""",
    ),
    (
        "connect-slack",
        "Getting started",
        """# Connect Slack

With Slack connected, your team gets Acme Cloud notifications in channels and can turn messages
into tasks. Available on Starter and above.

## Connect

1. Open **Settings → Integrations → Slack** and click **Connect**.
2. Sign in to Slack and choose the Slack workspace. You need permission to install apps there;
   otherwise Slack sends a request to your Slack admin.
3. Click **Allow**.
4. Back in Acme Cloud, pick a default channel for workspace notifications.

## Send a project's updates to a channel

1. Open the project and click **⋯ → Notifications**.
2. Choose **Post to Slack** and select the channel.
3. Pick the events: new tasks, comments, status changes or completed tasks.

For private channels, first type `/invite @Acme Cloud` in the channel.

## Create tasks from Slack

Hover over any message, click **More actions → Create Acme Cloud task**, choose the project and
save. The task links back to the Slack message.

## Personal notifications

Each person can link their own Slack account in **Settings → Notifications** to get mentions
and assignments as direct messages.

## Troubleshooting

If notifications stop, check that the Acme Cloud app is still installed in Slack. Reconnecting
from **Settings → Integrations → Slack** keeps your channel settings.
""",
    ),
    (
        "connect-salesforce-or-hubspot",
        "Getting started",
        """# Connect Salesforce or HubSpot

Link CRM accounts and deals to Acme Cloud projects so account teams see delivery progress where
they work. Available on Pro and Enterprise.

## Before you start

- You need the **Admin** or **Owner** role in Acme Cloud.
- In Salesforce you need the *API Enabled* permission; in HubSpot, a Super Admin account.

## Connect

1. Open **Settings → Integrations** and click **Connect** on Salesforce or HubSpot.
2. Sign in to the CRM and approve access.
3. Choose which objects to link: Accounts and Opportunities (Salesforce) or Companies and Deals
   (HubSpot).
4. Map fields, for example *Close date* to the project's start date.
5. Click **Save and sync**. The first sync can take up to 30 minutes for large CRMs.

## Use it

- In a project, click **Link CRM record** and search for the account or deal.
- In the CRM, the Acme Cloud panel shows linked projects, progress and the next milestone.

## Known issue

After approving Salesforce access, some workspaces see a blank integrations page. The connection
is saved; reload the page. See *Integrations page blank after connecting*.

## Disconnect

Click **Manage → Disconnect**. Links already made remain visible but stop updating.
""",
    ),
    (
        "import-data-from-csv",
        "Getting started",
        """# Import data from a CSV file

Move tasks from spreadsheets or another tool by importing a CSV file. Available on Starter and
above.

## Prepare the file

1. One row per task, with a header row.
2. Useful columns: *Title* (required), *Description*, *Assignee email*, *Due date*, *Status*,
   *Tags*, *Parent task*.
3. Dates in `YYYY-MM-DD` format work best.
4. Limits: **50 MB** and **100,000 rows** per file. Split bigger files.

## Import

1. Open the project and click **⋯ → Import**, or go to **app.acmecloud.com/import**.
2. Upload the file and choose the encoding if characters look wrong (UTF-8 is the default).
3. On the **Map columns** step, match each column to an Acme Cloud field or choose *Skip*.
4. Preview the first rows, then click **Start import**.
5. You get an email when the import finishes, with a report of any rows that were skipped.

## Tips

- Assignees are matched by email. People who are not members yet are listed in the report.
- Unknown statuses are created as new board columns.
- Importing the same file twice creates duplicates; delete the first import from
  **Project → History → Undo import** within 24 hours.

## Known issue

Files with more than 50 columns can freeze the mapping step. Remove unused columns before
uploading; a fix is in progress.
""",
    ),
    (
        "create-and-manage-api-keys",
        "Getting started",
        """# Create and manage API keys

Use API keys to connect your own scripts and services to the Acme Cloud REST API. API access is
available on Pro and Enterprise.

## Create a key

1. Open **Settings → API keys**. You need the Admin or Owner role.
2. Click **New API key** and give it a name that says what uses it, for example
   `nightly-reporting-job`.
3. Choose the scopes: **read**, **write** or **admin**. Grant the smallest scope that works.
4. Optionally set an expiry date.
5. Click **Create** and copy the key. **It is shown only once.**

Send the key in the `Authorization: Bearer <key>` header. The base URL is
`https://api.acmecloud.com/v2`.

## Rotate or revoke a key

- **Rotate** creates a new secret and keeps the old one valid for 24 hours so you can deploy it.
- **Revoke** stops the key immediately.

## Limits

- 600 requests per minute per key; a `429` response includes a `Retry-After` header.
- Keys belong to the workspace, not a person, so they keep working when the creator leaves.

## Security tips

1. Never put keys in front-end code or public repositories.
2. Use one key per integration so you can revoke one without breaking others.
3. Check **Last used** and revoke keys that have been idle for months.
""",
    ),
    (
        "configure-notifications",
        "Getting started",
        """# Configure notifications

Choose which updates reach you, and where: in the app, by email, on mobile or in Slack or Teams.

## Your personal settings

1. Open **Settings → Notifications**.
2. For each event (mentions, assignments, comments on your tasks, due dates, status changes)
   choose **In app**, **Email**, **Mobile push** or **Off**.
3. Set **Email digest** to *Instant*, *Hourly* or *Daily* to reduce email volume.
4. Set **Quiet hours** so mobile notifications pause outside your working day.
5. Click **Save changes**.

## Project-level settings

In a project, click **⋯ → Notifications** and choose *All activity*, *Only mentions and
assignments* or *Mute*. Project settings override your defaults for that project only.

## Workspace defaults

Admins can set default notification settings for new members in **Settings → Workspace →
Defaults**. Existing members keep their own choices.

## Not receiving email notifications?

1. Check that email is enabled for the event in **Settings → Notifications**.
2. Search your spam folder for `notifications@acmecloud.com`.
3. Ask IT to allow-list `acmecloud.com`.

If your changes don't save and you see an error banner, reload the page and try again; a recent
issue with saving these settings has been fixed.
""",
    ),
    (
        "set-up-saml-sso",
        "Getting started",
        """# Set up SAML single sign-on (admins)

Enterprise workspaces can connect an identity provider so members sign in with company accounts.

## Before you start

- You need the **Owner** role in Acme Cloud and admin access to your identity provider.
- Verify your email domain in **Settings → Security → Domains** by adding the TXT record shown.

## Configure

1. In your identity provider, create a SAML 2.0 application. Okta, Entra ID and Google Workspace
   have an *Acme Cloud* app in their catalogues that fills in most fields.
2. Copy the **ACS URL** and **Entity ID** from **Settings → Security → SSO** into the provider.
3. Map the attributes `email`, `firstName` and `lastName`.
4. Download the provider's **metadata XML** and upload it in Acme Cloud.
5. Click **Test connection** and sign in with a test user.
6. Turn on **Enforce SSO** once the test succeeds. Owners keep a password as a fallback.

## Provisioning with SCIM

Generate a SCIM token on the same page and add it to your provider to create, update and
deactivate members automatically. Deactivated users free their seat.

## Certificate rotation

Providers rotate signing certificates every one to three years. Upload the new metadata before
the old certificate expires, or members will see *SAML response signature invalid*.
""",
    ),
    # ------------------------------------------------------------------ troubleshooting
    (
        "troubleshooting-basics",
        "Troubleshooting",
        """# Troubleshooting basics: try these first

Most display problems in Acme Cloud are fixed by one of these steps. They also help us find the
cause faster if you contact support.

## Steps

1. **Check the status page** at `status.acmecloud.com` for incidents in progress.
2. **Reload without cache**: press Ctrl+Shift+R (Windows, Linux) or Cmd+Shift+R (Mac).
3. **Try a private window.** If it works there, a browser extension (ad blocker, privacy tool,
   password manager) is usually the cause. Disable extensions one by one.
4. **Use a supported browser**: the latest two versions of Chrome, Edge, Firefox or Safari.
5. **Sign out and back in** to refresh your session and permissions.
6. **Check your network.** Corporate proxies and VPNs can block `api.acmecloud.com` or
   websockets. Try another network.

## If it still fails, send us

- the page address (URL) and what you clicked;
- the exact error message or a screenshot;
- the browser console errors: press F12, open the **Console** tab, reproduce the problem and copy
  the red lines;
- the time it happened and your time zone.

The in-app help widget attaches the page address and recent console errors automatically, so
reporting from the page where the problem happens is the fastest route.
""",
    ),
    (
        "reports-page-fails-to-load",
        "Troubleshooting",
        """# Reports page shows "Something went wrong"

**Known issue.** Some workspaces see a blank Reports page or the banner *Something went wrong*
when opening `/reports`. The browser console shows
`TypeError: Cannot read properties of undefined (reading 'map')`.

## Cause

The report builder crashes when a saved filter has no values selected, for example a *Tag is any
of* filter whose tags were deleted. Our engineers are working on a fix.

## Workaround

1. Open the report with the link `app.acmecloud.com/reports?reset=1`. This opens it with the
   filters turned off.
2. Click **Filters** and remove any filter that shows *(no values)*.
3. Click **Save view**. The report now loads normally.

If you share the report, ask colleagues to reload once you have saved it.

## Still failing?

- Try the steps in *Troubleshooting basics*.
- Send us the report's name and the console error. Use the in-app help widget on the failing
  page so the error is attached.

We will update this article when the fix is released. Affected reports keep all their data; only
the page fails to display.
""",
    ),
    (
        "csv-export-stuck-or-empty",
        "Troubleshooting",
        """# CSV export stuck at 99% or downloads an empty file

**Known issue.** Large report exports from `/reports/export` can stop at 99% and end with
`Error: Export job timed out after 120000ms`.

## Who is affected

Exports with more than about 200,000 rows, or reports that include comments and attachments
columns.

## Workarounds

1. **Export in parts.** Add a date filter (for example one quarter at a time) and export each
   part.
2. **Remove heavy columns.** Untick *Comments* and *Attachments* in **Columns** before exporting.
3. **Schedule the export.** Click **Export → Email me the file**. Scheduled exports run in the
   background without the 2-minute limit and arrive as a download link.

## Empty file

If the download finishes but the file has only a header row:

1. Check the report's filters; the export uses exactly what the report shows.
2. Check that you have access to the projects in the report. Rows from projects you cannot see
   are left out.

## Opening the file

Exports are UTF-8 CSV. In Excel, use **Data → From Text/CSV** so accented characters display
correctly.

For a full copy of the workspace rather than one report, see *Export your workspace data*.
""",
    ),
    (
        "integrations-page-blank-after-connecting",
        "Troubleshooting",
        """# Integrations page blank after connecting

**Known issue.** After approving access in Salesforce or HubSpot, you return to
`/settings/integrations` and the page stays blank. The console shows
`TypeError: Cannot read properties of null (reading 'accessToken')`.

## Cause

The page renders before the new connection finishes saving. The connection itself is almost
always saved correctly.

## Workaround

1. Wait ten seconds and reload the page.
2. The integration should now show **Connected** with the time of the last sync.
3. If it shows **Not connected**, click **Connect** again. Do not click it repeatedly while the
   page is blank, because each click starts a new approval.

## If reloading does not help

1. Open the page in a private window to rule out extensions.
2. Check that the account you approved with has admin rights in the CRM.
3. Disconnect the integration, wait a minute and connect it again.

Contact support if the page stays blank after these steps; use the help widget on the page so
the console error is attached. A fix is scheduled for an upcoming release.
""",
    ),
    (
        "board-changes-not-saving",
        "Troubleshooting",
        """# Board cards jump back after dragging

**Known issue.** On boards (`/boards`), a card you drag to another column sometimes jumps back a
second later. The console shows `Error: Request failed with status code 409`.

## Cause

When two people move cards in the same column at the same moment, the second move is rejected
as a conflict and the board reloads the older order.

## Workaround

1. Reload the board to get the latest order.
2. Move the card again. It saves when nobody else is moving cards in that column.
3. To move many cards, select them with Shift-click and use **Move to…** from the card menu;
   bulk moves are not affected.

## Check it is not something else

- **Read-only access**: if you have *Can view* or *Can comment* permission, cards can't be
  moved. Ask the project owner for *Can edit*.
- **Column limits**: a column with a work-in-progress limit rejects extra cards and shows a
  banner.
- **Automations**: an automation can move a card back, for example *When status is Blocked, move
  to Backlog*. Check **Project → Automations**.

This issue is being fixed; we will update this article when the release is out.
""",
    ),
    (
        "automations-not-triggering",
        "Troubleshooting",
        """# Automations not triggering

Automations (Pro and Enterprise) run when their trigger happens. If one seems to do nothing, work
through this list.

## Checks

1. **Is it on?** Open **Project → Automations** and check the toggle.
2. **Run history.** Click the automation and open **History**. Each run shows *succeeded*,
   *skipped* (conditions not met) or *failed* with a reason.
3. **Conditions.** A condition such as *Assignee is me* refers to the person who created the
   automation, not the person who triggered it.
4. **Owner left.** Automations created by a deactivated member are paused. Open the automation
   and click **Take ownership**.
5. **Plan.** After a downgrade from Pro, automations stop running but are kept.

## Known issue: recurring rules

Recurring rules (*every weekday at 9:00*) created in some time zones fail to run and show
`RangeError: Invalid time value` in the console on `/automations`. Workaround: edit the rule,
set the time zone explicitly in **Schedule → Time zone** and save.

## Limits

- Up to 250 automations per project.
- Each workspace can run 25,000 automation actions a month on Pro and 250,000 on Enterprise.
  Runs over the limit are skipped and listed in History.
""",
    ),
    (
        "invite-link-expired-or-invalid",
        "Troubleshooting",
        """# Invite link expired or invalid

When someone opens an invitation and sees *This invitation has expired* or *This invitation is
no longer valid*, one of these is the cause.

## Causes and fixes

1. **The invite is older than 7 days.** Ask an Admin to resend it from **Settings → Team →
   Pending**. The new email has a fresh link.
2. **It was resent.** Resending cancels the older email's link. Use the newest email.
3. **It was revoked**, or the person was already added with another address.
4. **Different email.** The person is signed in to Acme Cloud with another address. Sign out and
   open the link again, or ask for the invite to be sent to the address you use.

## Known issue

Some invitations opened from Microsoft Outlook's Safe Links show *expired* even on the first day,
and the page `/invite` logs `InviteError: token expired (E_INVITE_410)`. Outlook opens the link
to scan it, which uses it up. Workaround: copy the link and paste it into the browser instead of
clicking it, or use **Copy invite link** from **Settings → Team** and share it in chat.

## Still not working?

Ask the Admin to remove the pending invite and invite the person again. If the problem continues,
contact support with the invitee's email and the time they tried.
""",
    ),
    (
        "dashboard-widgets-show-no-data",
        "Troubleshooting",
        """# Dashboard widgets show "No data"

If dashboard widgets on `/dashboard` show *No data* although your projects have tasks, check the
following.

## Checks

1. **Date range.** The range at the top applies to every widget. *Last 7 days* is empty for a
   quiet project.
2. **Projects.** Each widget has its own project selection. Click **⋯ → Edit widget**.
3. **Permissions.** Widgets only count tasks in projects you can see, so colleagues may see
   different numbers.
4. **Recently imported data** appears after the next refresh, up to 15 minutes later.

## Known issue: Safari 16

In Safari 16 and earlier, every widget shows *No data* and the console shows
`SyntaxError: Invalid regular expression: invalid group specifier name`. Safari 16 doesn't
support a pattern our charts use.

Workarounds:

1. Update macOS or iOS to get Safari 17 or later, or
2. use Chrome, Edge or Firefox.

Your data is unaffected; only the charts fail to draw. A compatibility fix is in progress.

## Still empty?

Send us the dashboard's name, your browser and version, and a screenshot using the in-app help
widget on the dashboard page.
""",
    ),
    (
        "file-upload-fails",
        "Troubleshooting",
        """# File upload fails

You can attach files to tasks and projects from `/projects/files` or by dragging them onto a
task.

## Limits

- Up to **25 MB** per file on Free and Starter, **250 MB** on Pro and Enterprise.
- Storage per workspace: Free 1 GB, Starter 20 GB, Pro 200 GB, Enterprise 1 TB.

## Upload fails with "Request failed with status code 413"

**Known issue.** On Pro and Enterprise, uploads larger than 25 MB from the Files page fail with
`Error: Request failed with status code 413` even though the limit is 250 MB. Workaround:

1. Open the task instead and drag the file onto it, or
2. attach the file from Google Drive, OneDrive or Dropbox with **Attach → From cloud storage**.

## Other causes

1. **Storage full.** Check **Settings → Workspace → Storage** and delete old files or upgrade.
2. **Blocked file types.** Executables (`.exe`, `.bat`, `.sh`) are rejected for security.
3. **Network.** Large uploads over VPN can time out. Try another network.
4. **Browser extensions** that block requests; try a private window.

If an upload fails for another reason, send us the file size, type and the error shown.
""",
    ),
    (
        "two-factor-qr-code-not-showing",
        "Troubleshooting",
        """# 2FA setup: the QR code does not appear

When turning on two-factor authentication in `/settings/security`, the area for the QR code can
stay empty. The console then shows `ReferenceError: QRCode is not defined`.

## Cause

The QR code is drawn by a script that some ad blockers and corporate proxies block.

## Workarounds

1. Click **Can't scan? Enter a key** under the empty box. Type the setup key into your
   authenticator app and choose **Time based**. This works exactly like scanning.
2. Or pause your ad blocker for `app.acmecloud.com`, reload and try again.
3. Or use a private window with extensions disabled.

Then enter the six-digit code from the app to finish and save your recovery codes.

## Codes are rejected after setup

- Make sure your phone's time is set automatically; codes depend on the clock.
- Check that you added the account in the app for **Acme Cloud** and not an older entry.
- If you scanned the code twice, delete the older entry in the app.

If you still can't finish setup, contact support from the address you sign in with. We never ask
for your codes or recovery codes.
""",
    ),
    (
        "billing-page-not-loading",
        "Troubleshooting",
        """# Billing page keeps loading

Sometimes **Settings → Billing** (`/settings/billing`) shows a spinner that never finishes and
the console shows `TypeError: Failed to fetch`.

## Cause

The billing page loads invoices and card details from our payment processor. Privacy extensions,
strict corporate proxies or DNS filters often block that request.

## Steps

1. Open the page in a private window with extensions disabled.
2. Allow `billing.acmecloud.com` and `js.stripe.com` in your ad blocker or proxy.
3. Try another network, for example a phone hotspot, to rule out a corporate firewall.
4. Check `status.acmecloud.com` for an incident affecting billing.

## Need an invoice right now?

Invoices are also emailed to the billing contact on each issue date. Search your email for
*Acme Cloud invoice* and the invoice number. Support can resend any invoice: write to us with the
invoice number or the month.

## Only Owners and Billing admins

Members who open the billing page see *You don't have access to billing*. That is expected; ask
an Owner for the Billing admin role.
""",
    ),
    (
        "api-keys-page-error",
        "Troubleshooting",
        """# API keys page shows an error

**Known issue.** Opening `/settings/api-keys` in workspaces with keys created before 2024 can
show *Something went wrong*. The browser console then shows
`TypeError: Cannot read properties of undefined (reading 'scopes')`.

## Cause

Old keys were created before scopes existed, and the page expects every key to have them.

## Workaround

1. Use the API to list keys: `GET https://api.acmecloud.com/v2/api-keys` with an admin key.
2. Revoke the legacy keys you no longer need with
   `DELETE /v2/api-keys/{id}`, or ask support to add scopes to them.
3. Reload the page; it loads once no legacy key remains.

If you cannot call the API, contact support from an Owner or Admin account and we will upgrade the
legacy keys to **read/write** scopes for you. Existing integrations keep working throughout.

## Related

- *Create and manage API keys*
- *Troubleshooting basics*
""",
    ),
    (
        "import-mapping-step-freezes",
        "Troubleshooting",
        """# CSV import freezes on the mapping step

**Known issue.** On `/import`, uploading a CSV file with many columns can freeze the **Map
columns** step. The browser may offer to stop the page, and the console shows
`RangeError: Maximum call stack size exceeded`.

## Who is affected

Files with more than about 50 columns, often exports from other tools that include every custom
field.

## Workaround

1. Open the file in a spreadsheet.
2. Delete the columns you don't need. Keep *Title* and the fields you want to map.
3. Save it as CSV (UTF-8) and upload it again.

If you need more than 50 fields, import in two passes: first the main fields, then a second file
with *Task ID* plus the remaining columns, using **Update existing tasks**.

## Other import problems

- *Accented characters look wrong*: choose UTF-8 or the right encoding on the upload step.
- *Assignees missing*: people who aren't members yet are listed in the import report.
- *Import finished but tasks are missing*: check the report email for skipped rows.

See *Import data from a CSV file* for the full guide.
""",
    ),
    # ------------------------------------------------------------------ requests & status
    (
        "check-the-status-of-a-request",
        "Requests & status",
        """# Check the status of a support request

Every request you send us gets a ticket number such as `T-000123`, quoted in our first reply.

## Where to see your requests

1. In Acme Cloud, click **Help → My requests**.
2. Each request shows its status and the latest reply.

## What the statuses mean

- **New** – received, not yet picked up.
- **Open** – an agent is working on it.
- **Pending** – we are waiting for information from you. Reply to the email to continue.
- **Escalated** – passed to a specialist, engineering or your account manager.
- **Solved** – we believe it is answered. Replying within 7 days reopens it.
- **Closed** – archived. Send a new request and mention the old number.

## Response times

| Plan | First response |
|------|----------------|
| Free | 2 business days |
| Starter | 1 business day |
| Pro | 8 business hours |
| Enterprise | 1 hour for urgent, 4 hours otherwise |

## Speed things up

- Reply in the same email thread instead of starting a new one.
- Include invoice numbers, page addresses and screenshots.
- For outages, check `status.acmecloud.com` first; we post updates there before we can answer
  every ticket.
""",
    ),
    (
        "data-export-requests",
        "Requests & status",
        """# Data export requests: status and download

A full workspace export is prepared in the background. This article explains how to track it.

## Request an export

1. Open **Settings → Workspace → Export data**. Only Owners can do this.
2. Choose the format (CSV or JSON) and whether to include file attachments.
3. Click **Request export**. You get an export number such as `EXP-20931`.

## Track it

The same page lists your exports with a status:

- **Queued** – waiting to start, usually a few minutes.
- **Running** – shows the percentage done.
- **Ready** – a download link is emailed to you and shown on the page.
- **Failed** – the reason is shown; you can retry.

Most exports are ready within **1 hour**; very large workspaces with attachments can take up to
**24 hours**.

## Download

The link is valid for **7 days** and works only for the Owner who requested it. The file is a ZIP
with one CSV or JSON file per project, plus members, comments and, if selected, attachments.

## Problems

- *Link expired*: request a new export.
- *Stuck at Running for more than 24 hours*: contact support with the export number.
""",
    ),
    (
        "seat-and-purchase-orders",
        "Requests & status",
        """# Seat orders and purchase orders: status

Enterprise customers can order seats and renewals with a purchase order (PO). Each order has an
order number such as `ORD-48210`.

## Order stages

1. **Received** – we have your PO or order form.
2. **In review** – finance checks the PO against the quote: amounts, seat count, billing entity
   and PO number. Usually 1 business day.
3. **Countersigned** – the order is accepted. Seats are activated within an hour.
4. **Invoiced** – an invoice referencing your PO number is issued.

## Check an order

Ask your account manager or support with the order number or PO number. The order also appears in
**Settings → Billing → Orders** once countersigned.

## Common reasons for delay

- The PO amount or seat count doesn't match the quote.
- The PO is addressed to a different legal entity than the contract.
- A required vendor-registration form is missing. Send it to `billing@acmecloud.com`.

## Need seats urgently?

Owners can add seats immediately in **Settings → Billing → Seats**; they are co-termed and
reconciled with the PO when it arrives.
""",
    ),
    # ------------------------------------------------------------------ account & data
    (
        "cancel-your-subscription",
        "Account & data",
        """# Cancel your subscription

Owners can cancel at any time. You keep access until the end of the period you already paid for.

## Steps

1. Open **Settings → Billing** and click **Cancel plan**.
2. Tell us why (optional, but it really helps us).
3. Confirm. You receive an email with the date the cancellation takes effect.

## What happens next

- Your plan stays active until your next billing date, then the workspace moves to **Free**.
- Projects above the Free limits become **read-only**; nothing is deleted.
- Members above 3 lose access to editing; their work is kept.
- There is no refund for the remaining part of the current cycle; see *Refund policy* for the
  exceptions.

## Changed your mind?

Click **Resume plan** on the billing page any time before the cancellation date.

## Delete everything instead

If you want the workspace and all data removed, see *Delete your account and workspace*. Export
your data first with **Settings → Workspace → Export data**.

## Alternatives

- Moving to a **lower plan** keeps your automations and history where the plan allows.
- Need a pause? Contact support; for seasonal teams we can sometimes pause billing for up to
  three months.
""",
    ),
    (
        "export-your-workspace-data",
        "Account & data",
        """# Export your workspace data

You own your data and can take a complete copy at any time, including before cancelling.

## What the export contains

- All projects, tasks, subtasks, comments and custom fields
- Boards and their columns
- Members and their roles
- Attachments (optional; makes the export much larger)
- Automations and report definitions as JSON

## Steps

1. Open **Settings → Workspace → Export data**. Only Owners see this page.
2. Choose **CSV** (for spreadsheets) or **JSON** (for moving to another system).
3. Tick **Include attachments** if you need files.
4. Click **Request export**. Larger workspaces take longer; see *Data export requests: status
   and download*.
5. Download the ZIP from the email link within 7 days.

## Exporting a single project or report

- A project: **Project → ⋯ → Export**.
- A report: **Export** on the report page. Very large reports are best sent by email.

## After cancelling

Data stays available for **30 days** after a paid workspace is deleted. After that it is removed
permanently and can't be exported.
""",
    ),
    (
        "delete-your-account",
        "Account & data",
        """# Delete your account and workspace

There are two different things you can delete: your **personal account**, or the whole
**workspace** with everyone's data.

## Leave a workspace or delete your personal account

1. Open **Settings → Profile → Delete account**.
2. If you are the only Owner of a workspace, transfer ownership first in **Settings → Team**.
3. Confirm with your password. Your tasks and comments stay in the workspace, shown as *Former
   member*.

## Delete a workspace

1. Cancel any paid plan first (**Settings → Billing → Cancel plan**).
2. Export anything you want to keep.
3. Open **Settings → Workspace → Delete workspace** and type the workspace name to confirm.

## What happens to the data

- The workspace is deactivated at once and nobody can sign in to it.
- Data is kept for **30 days** so an Owner can restore it by contacting support.
- After 30 days it is permanently deleted from our systems. Backups are overwritten within a
  further 35 days.

## Requests under GDPR or CCPA

To have personal data erased when you cannot sign in, see *Privacy and data protection
requests*.
""",
    ),
    (
        "security-and-data-protection",
        "Account & data",
        """# Security at Acme Cloud

A summary of how we protect your data. Enterprise customers can request our full security
package.

## Infrastructure

- Hosted on AWS in the US (us-east-1) or the EU (eu-central-1); you choose at sign-up.
- Data encrypted in transit with TLS 1.2+ and at rest with AES-256.
- Daily backups kept for 35 days, stored in a second region.

## Access

- Employees access customer data only to resolve a support request you opened, and every access
  is logged.
- Production access requires hardware security keys.
- Support agents can't see your password or 2FA secrets.

## Certifications

- SOC 2 Type II, renewed yearly
- ISO 27001
- GDPR-ready Data Processing Agreement

## What you can do

1. Turn on 2FA, or require it for the workspace.
2. Use SSO on Enterprise and provision users with SCIM.
3. Review the audit log and active sessions regularly.
4. Use scoped API keys and revoke unused ones.

## Report a vulnerability

Email `security@acmecloud.com`. We acknowledge reports within one business day and run a
responsible-disclosure programme.

Security questionnaires, the SOC 2 report and penetration test summaries are shared under NDA
through your account manager.
""",
    ),
    (
        "privacy-and-gdpr-requests",
        "Account & data",
        """# Privacy and data protection requests

Acme Cloud acts as a **processor** for the data your workspace stores, and as a **controller**
for account and billing information.

## Requests you can make

- **Access**: a copy of the personal data we hold about you.
- **Correction**: fix inaccurate data.
- **Erasure**: delete your personal data.
- **Portability**: receive your data in a machine-readable format.

## How to make a request

1. Email `privacy@acmecloud.com` from the address on your account.
2. Say which request you are making and for which workspace.
3. We verify your identity and reply within **30 days**, usually much sooner.

## If your data is in someone else's workspace

When your employer or a client runs the workspace, they decide about that data. We forward your
request to the workspace Owner, as the GDPR requires.

## Data Processing Agreement

Paid workspaces can sign our DPA in **Settings → Workspace → Legal**. Enterprise customers can
negotiate changes through their account manager.

## What support can't do

Our team can explain our own policies, but we can't give legal advice about your company's
obligations, for example whether you need a DPA with your own customers. Please consult your
legal counsel.
""",
    ),
    (
        "service-status-and-uptime",
        "Account & data",
        """# Service status, incidents and the uptime SLA

## Check the status

`status.acmecloud.com` shows the live status of the web app, API, integrations, email delivery
and billing. Click **Subscribe** to get incident updates by email, SMS, Slack or RSS.

## During an incident

1. We post the first update within 15 minutes of detecting a problem.
2. Updates follow at least every 30 minutes until it is resolved.
3. Within five business days, a post-incident report explains the cause and what we changed.

You don't need to open a ticket for a listed incident, but tell us if you see symptoms that
aren't listed.

## The SLA (Enterprise)

Enterprise contracts include **99.9% monthly uptime** for the web app and API. If uptime falls
below it, you receive a service credit:

| Monthly uptime | Credit |
|----------------|--------|
| below 99.9% | 10% of the monthly fee |
| below 99.0% | 25% |
| below 95.0% | 50% |

To claim a credit, ask your account manager or support within 30 days of the month's end. Credits
are applied to the next invoice.

## Planned maintenance

Maintenance is announced seven days ahead on the status page and runs on Sundays between 02:00
and 04:00 UTC.
""",
    ),
)

APP_URL = "https://app.acmecloud.com"

# Known bugs: (id, title, status, page path, console error signature, workaround, days ago filed).
# Each page has a troubleshooting article above, so the co-pilot can cite one for a bug report.
BUGS: tuple[tuple[str, str, str, str, str, str, int], ...] = (
    (
        "BUG-101",
        "Reports page crashes when a saved filter has no values",
        "in_progress",
        "/reports",
        "TypeError: Cannot read properties of undefined (reading 'map')",
        "Open the report with ?reset=1, remove the filter showing '(no values)' and save the view.",
        41,
    ),
    (
        "BUG-102",
        "Large CSV exports time out at 99%",
        "open",
        "/reports/export",
        "Error: Export job timed out after 120000ms",
        "Export in date ranges, untick Comments/Attachments, or use Export -> Email me the file.",
        63,
    ),
    (
        "BUG-103",
        "Integrations page blank after Salesforce/HubSpot OAuth",
        "in_progress",
        "/settings/integrations",
        "TypeError: Cannot read properties of null (reading 'accessToken')",
        "Wait ten seconds and reload; the connection is saved. Do not click Connect repeatedly.",
        22,
    ),
    (
        "BUG-104",
        "Board cards jump back after drag and drop (409 conflict)",
        "open",
        "/boards",
        "Error: Request failed with status code 409",
        "Reload the board and move the card again, or use 'Move to…' from the card menu.",
        35,
    ),
    (
        "BUG-105",
        "Recurring automations fail in some time zones",
        "in_progress",
        "/automations",
        "RangeError: Invalid time value",
        "Edit the rule and set Schedule -> Time zone explicitly, then save.",
        54,
    ),
    (
        "BUG-106",
        "Invites opened through Outlook Safe Links show 'expired'",
        "open",
        "/invite",
        "InviteError: token expired (E_INVITE_410)",
        "Copy the link and paste it into the browser, or share 'Copy invite link' from Settings.",
        77,
    ),
    (
        "BUG-107",
        "Dashboard widgets show 'No data' in Safari 16",
        "open",
        "/dashboard",
        "SyntaxError: Invalid regular expression: invalid group specifier name",
        "Use Safari 17+, Chrome, Edge or Firefox.",
        30,
    ),
    (
        "BUG-108",
        "Files page rejects uploads over 25 MB on Pro",
        "in_progress",
        "/projects/files",
        "Error: Request failed with status code 413",
        "Drag the file onto the task instead, or attach it from cloud storage.",
        18,
    ),
    (
        "BUG-109",
        "2FA setup QR code does not render",
        "open",
        "/settings/security",
        "ReferenceError: QRCode is not defined",
        "Click 'Can't scan? Enter a key' and type the setup key into the authenticator app.",
        49,
    ),
    (
        "BUG-110",
        "Billing page spinner never finishes behind strict proxies",
        "open",
        "/settings/billing",
        "TypeError: Failed to fetch",
        "",
        12,
    ),
    (
        "BUG-111",
        "CSV import mapping step freezes with more than 50 columns",
        "in_progress",
        "/import",
        "RangeError: Maximum call stack size exceeded",
        "Remove unused columns before uploading, or import in two passes.",
        70,
    ),
    (
        "BUG-112",
        "API keys page crashes for legacy keys without scopes",
        "open",
        "/settings/api-keys",
        "TypeError: Cannot read properties of undefined (reading 'scopes')",
        "",
        26,
    ),
    (
        "BUG-113",
        "Notification settings fail to save",
        "fixed",
        "/settings/notifications",
        "Error: Request failed with status code 422",
        "",
        95,
    ),
)
