import os
import threading

from asgiref.sync import sync_to_async
from django.db import connection, transaction
from django.http import Http404, HttpResponse, HttpResponseNotAllowed

from accounts.models import Account


def text(body, status=200):
    return HttpResponse(body + "\n", content_type="text/plain", status=status)


def accounts(request):
    # A sync view. Under ASGI, Django runs it in a thread of its own, and
    # the ORM uses that thread's connection. iterator() reads the rows in
    # chunks, through a server-side cursor unless that is switched off.
    rows = Account.objects.order_by("name").iterator(chunk_size=100)
    return text("\n".join(str(account) for account in rows))


def thread(request):
    # The thread that runs this request's sync code, and its worker process.
    return text(f"{threading.current_thread().name} of process {os.getpid()}")


async def async_accounts(request):
    # The async ORM: acount(), and async iteration over a queryset.
    count = await Account.objects.acount()
    lines = [str(account) async for account in Account.objects.order_by("name")]
    return text(f"{count} accounts\n" + "\n".join(lines))


async def async_account(request, name):
    try:
        account = await Account.objects.aget(name=name)
    except Account.DoesNotExist:
        raise Http404(name)
    return text(str(account))


class InsufficientFunds(Exception):
    pass


@transaction.atomic
def transfer(source, target, amount):
    # Sync code: transaction.atomic() has no async form in Django 5.2.
    rows = Account.objects.select_for_update().filter(name__in=[source, target])
    accounts = {account.name: account for account in rows}
    accounts[target].balance += amount
    accounts[target].save()
    accounts[source].balance -= amount
    if accounts[source].balance < 0:
        # Raising inside atomic() rolls back the credit saved above.
        raise InsufficientFunds(source)
    accounts[source].save()


async def async_transfer(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    source, target = request.POST["from"], request.POST["to"]
    amount = int(request.POST["amount"])
    try:
        # The whole transaction runs in one thread, on one connection.
        await sync_to_async(transfer)(source, target, amount)
    except InsufficientFunds:
        return text(f"{source} has less than {amount}", status=409)
    return text(f"moved {amount} from {source} to {target}")


def hold(request):
    # Stands for a slow query: keeps this request's connection busy for
    # ?seconds=... seconds.
    seconds = float(request.GET.get("seconds", "1"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s)", [seconds])
    return text(f"held a connection for {seconds:g} s")
