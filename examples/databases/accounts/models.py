from django.db import models


class Account(models.Model):
    name = models.CharField(max_length=50, unique=True)
    balance = models.IntegerField()

    def __str__(self):
        return f"{self.name} {self.balance}"
