import { routes } from '../api/routes.js';
import { quoteCart } from '../domain/pricing.js';
import { apiHandler } from '../shared/http.js';
import { orders } from '../shared/orders.js';

// The catalog read and priceOrder (inside quoteCart) are place-order's own: a quote is what the order would cost.
export const handler = apiHandler(routes.quote, async ({ body }) => {
  const catalog = await orders.products(body.items.map((item) => item.sku));
  return { status: 200, body: quoteCart(body.items, catalog, body.shippingAddress.country, new Date()) };
});
