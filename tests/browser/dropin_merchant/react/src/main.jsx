// A merchant's React page as @stripe/react-stripe-js documents it: nothing here knows about paykeep, except
// that index.html loads <paykeep>/v3/ first. ?mode=card|payment&cs=<client_secret> picks the form.
import React, { useState } from "react";
import { createRoot } from "react-dom/client";
import { loadStripe } from "@stripe/stripe-js";
import { CardElement, Elements, PaymentElement, useElements, useStripe } from "@stripe/react-stripe-js";

const params = new URLSearchParams(window.location.search);
const clientSecret = params.get("cs");
const mode = params.get("mode") || "card";
const stripePromise = loadStripe(document.body.dataset.pk);

function CardForm() {
  const stripe = useStripe();
  const elements = useElements();
  const [status, setStatus] = useState("");
  const [complete, setComplete] = useState(false);
  const onSubmit = async (event) => {
    event.preventDefault();
    const { setupIntent, error } = await stripe.confirmCardSetup(clientSecret, {
      payment_method: { card: elements.getElement(CardElement), billing_details: { name: "React Shopper" } },
    });
    setStatus(error ? `error: ${error.message}` : `${setupIntent.status} ${setupIntent.payment_method}`);
  };
  return (
    <form onSubmit={onSubmit}>
      <div className="field">
        <CardElement options={{ hidePostalCode: true, style: { base: { fontSize: "16px" } } }}
                     onChange={(e) => setComplete(e.complete)} />
      </div>
      <button id="save" type="submit" disabled={!stripe || !complete}>Save card</button>
      <p id="status">{status}</p>
    </form>
  );
}

function PaymentForm() {
  const stripe = useStripe();
  const elements = useElements();
  const [status, setStatus] = useState("");
  const onSubmit = async (event) => {
    event.preventDefault();
    const submitted = await elements.submit();
    if (submitted.error) { setStatus(`error: ${submitted.error.message}`); return; }
    const { setupIntent, error } = await stripe.confirmSetup({
      elements, redirect: "if_required", confirmParams: { return_url: window.location.origin + "/done" },
    });
    setStatus(error ? `error: ${error.message}` : `${setupIntent.status} ${setupIntent.payment_method}`);
  };
  return (
    <form onSubmit={onSubmit}>
      <PaymentElement />
      <button id="save" type="submit" disabled={!stripe}>Save card</button>
      <p id="status">{status}</p>
    </form>
  );
}

function App() {
  return (
    <Elements stripe={stripePromise} options={mode === "payment" ? { clientSecret } : {}}>
      <h1>React shop</h1>
      {mode === "payment" ? <PaymentForm /> : <CardForm />}
    </Elements>
  );
}

createRoot(document.getElementById("root")).render(<App />);
